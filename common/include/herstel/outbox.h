// The outbox: a state change and its event are written in one transaction,
// so an event exists exactly when its change committed. Sequences are dense
// (1, 2, 3, ...) because a single writer appends them.
#ifndef HERSTEL_OUTBOX_H_
#define HERSTEL_OUTBOX_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/sync_stream.h"
#include "herstel/identity.h"
#include "herstel/store.h"
#include "herstel/v1/common.pb.h"

namespace herstel {

// Who and which request caused an event.
struct EventOrigin {
  std::string request_id;
  std::string actor;  // the caller's subject, never a name
};

// Appends `payload` as an event about `resource` inside `tx`; the event type
// is the payload's full message name. Returns the new sequence.
absl::StatusOr<int64_t> AppendEvent(Transaction& tx, const google::protobuf::Message& payload,
                                    absl::string_view resource, const EventOrigin& origin);

// At most `limit` events after `after_sequence`, oldest first; when `types`
// is non-empty only events of those types.
absl::StatusOr<std::vector<v1::Event>> ReadEvents(Transaction& tx, int64_t after_sequence,
                                                  int limit,
                                                  const std::vector<std::string>& types);

// Serves WatchEvents for a service: the backlog after request.after_sequence,
// then new events as they commit, until the client cancels, the backlog ends
// (request.stop_at_end) or the server shuts down (UNAVAILABLE, so a follower
// reconnects where it left off). Only services, operators, auditors and the
// national coordinator may read a whole stream (PERMISSION_DENIED otherwise).
grpc::Status ServeWatchEvents(grpc::ServerContext& context, const v1::WatchEventsRequest& request,
                              grpc::ServerWriterInterface<v1::Event>& writer, Store& store,
                              const TokenKey& key, absl::string_view domain);

// Mixes the WatchEvents RPC into a generated service base class, e.g.
// `class CaseGrpcService : public WithWatchEvents<v1::CaseService::Service>`.
template <typename GeneratedService>
class WithWatchEvents : public GeneratedService {
 public:
  WithWatchEvents(Store& store, const TokenKey& key, std::string domain)
      : store_(store), key_(key), domain_(std::move(domain)) {}

  grpc::Status WatchEvents(grpc::ServerContext* context, const v1::WatchEventsRequest* request,
                           grpc::ServerWriter<v1::Event>* writer) override {
    return ServeWatchEvents(*context, *request, *writer, store_, key_, domain_);
  }

 protected:
  Store& store_;
  const TokenKey& key_;
  const std::string domain_;
};

}  // namespace herstel

#endif  // HERSTEL_OUTBOX_H_
