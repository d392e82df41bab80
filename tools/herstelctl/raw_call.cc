#include "raw_call.h"

#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace herstel::tools {
namespace {

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

// Waits for the operation tagged `tag`; its ok flag. Other tags cannot be
// pending: each operation is awaited before the next starts.
bool Await(grpc::CompletionQueue& queue, void* tag) {
  void* got = nullptr;
  bool ok = false;
  while (queue.Next(&got, &ok)) {
    if (got == tag) return ok;
  }
  return false;
}

}  // namespace

RawCallResult CallWithBytes(const std::shared_ptr<grpc::Channel>& channel, const std::string& path,
                            const std::vector<std::string>& requests, const std::string& bearer_token,
                            std::optional<std::chrono::milliseconds> deadline) {
  grpc::ClientContext context;
  if (!bearer_token.empty()) context.AddMetadata("authorization", "Bearer " + bearer_token);
  if (deadline.has_value()) context.set_deadline(std::chrono::system_clock::now() + *deadline);
  grpc::CompletionQueue queue;
  grpc::GenericStub stub(channel);
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(&context, path, &queue);
  int start_tag, write_tag, done_tag, read_tag, finish_tag;
  call->StartCall(&start_tag);
  bool open = Await(queue, &start_tag);
  for (const std::string& bytes : requests) {
    if (!open) break;
    call->Write(ToByteBuffer(bytes), &write_tag);
    open = Await(queue, &write_tag);
  }
  if (open) {
    call->WritesDone(&done_tag);
    Await(queue, &done_tag);
  }
  RawCallResult result;
  while (open) {
    grpc::ByteBuffer buffer;
    call->Read(&buffer, &read_tag);
    if (!Await(queue, &read_tag)) break;
    result.responses.push_back(FromByteBuffer(buffer));
  }
  call->Finish(&result.status, &finish_tag);
  Await(queue, &finish_tag);
  queue.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (queue.Next(&ignored_tag, &ignored_ok)) {
  }
  return result;
}

}  // namespace herstel::tools
