#include "herstel/outbox.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "herstel/errors.h"
#include "herstel/event_notifier.h"
#include "herstel/status_macros.h"

namespace herstel {
namespace {

constexpr int kEventBatchSize = 512;
constexpr absl::Duration kIdleWakeUp = absl::Milliseconds(250);
constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

bool CanReadEventStreams(v1::Role role) {
  return role == v1::ROLE_SERVICE || role == v1::ROLE_OPERATOR || role == v1::ROLE_AUDITOR ||
         role == v1::ROLE_NATIONAL_COORDINATOR;
}

}  // namespace

absl::StatusOr<int64_t> AppendEvent(Transaction& tx, const google::protobuf::Message& payload,
                                    absl::string_view resource, const EventOrigin& origin) {
  // The next sequence is read inside the writing transaction, so a sequence
  // is taken only after every lower one has committed: readers see a dense,
  // gap-free prefix even with several writers (on PostgreSQL a concurrent
  // append of the same number fails one transaction, which is retried).
  HERSTEL_ASSIGN_OR_RETURN(
      Statement insert,
      tx.Prepare("INSERT INTO outbox_events (sequence, type, resource, commit_time_micros, "
                 "payload, request_id, actor) SELECT COALESCE(MAX(sequence), 0) + 1, ?, ?, ?, ?, "
                 "?, ? FROM outbox_events RETURNING sequence"));
  insert.Bind(1, payload.GetDescriptor()->full_name())
      .Bind(2, resource)
      .Bind(3, absl::ToUnixMicros(absl::Now()))
      .BindBlob(4, payload.SerializeAsString())
      .Bind(5, origin.request_id)
      .Bind(6, origin.actor);
  HERSTEL_ASSIGN_OR_RETURN(bool returned, insert.Step());
  if (!returned) return absl::InternalError("appending an event returned no sequence");
  int64_t sequence = insert.ColumnInt(0);
  tx.NoteEventAppended(sequence);
  return sequence;
}

absl::StatusOr<std::vector<v1::Event>> ReadEvents(Transaction& tx, int64_t after_sequence,
                                                  int limit,
                                                  const std::vector<std::string>& types) {
  HERSTEL_ASSIGN_OR_RETURN(
      Statement query,
      tx.Prepare("SELECT sequence, type, resource, commit_time_micros, payload, request_id, "
                 "actor FROM outbox_events WHERE sequence > ? ORDER BY sequence LIMIT ?"));
  query.Bind(1, after_sequence).Bind(2, limit);
  std::vector<v1::Event> events;
  while (true) {
    HERSTEL_ASSIGN_OR_RETURN(bool has_row, query.Step());
    if (!has_row) break;
    std::string type = query.ColumnText(1);
    if (!types.empty() && std::find(types.begin(), types.end(), type) == types.end()) continue;
    v1::Event& event = events.emplace_back();
    event.set_sequence(query.ColumnInt(0));
    event.set_type(type);
    event.set_resource(query.ColumnText(2));
    *event.mutable_commit_time() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(query.ColumnInt(3));
    event.mutable_payload()->set_type_url(absl::StrCat(kTypeUrlPrefix, type));
    event.mutable_payload()->set_value(query.ColumnBlob(4));
    event.set_request_id(query.ColumnText(5));
    event.set_actor(query.ColumnText(6));
  }
  return events;
}

grpc::Status ServeWatchEvents(grpc::ServerContext& context, const v1::WatchEventsRequest& request,
                              grpc::ServerWriterInterface<v1::Event>& writer, Store& store,
                              const TokenKey& key, absl::string_view domain) {
  absl::StatusOr<Caller> caller = AuthenticateCall(context, key);
  if (!caller.ok()) return ToGrpcStatus(caller.status(), domain);
  if (!CanReadEventStreams(caller->role)) {
    return ToGrpcStatus(
        DomainError(absl::StatusCode::kPermissionDenied, "EVENT_STREAM_ROLE",
                    absl::StrCat("role '", RoleToken(caller->role),
                                 "' may not read event streams; only service, operator, "
                                 "auditor and national_coordinator may")),
        domain);
  }
  if (request.after_sequence() < 0) {
    return ToGrpcStatus(FieldError("after_sequence", "must be 0 or a sequence already seen"),
                        domain);
  }
  std::vector<std::string> types(request.types().begin(), request.types().end());
  int64_t cursor = request.after_sequence();
  while (!context.IsCancelled()) {
    // The sequences this round looks at end here (at most the largest
    // sequence there can be, however far the caller asked to start).
    const int64_t window_end = cursor <= std::numeric_limits<int64_t>::max() - kEventBatchSize
                                   ? cursor + kEventBatchSize
                                   : std::numeric_limits<int64_t>::max();
    // The highest sequence scanned, even when the type filter dropped events.
    int64_t scanned_to = cursor;
    std::vector<v1::Event> batch;
    absl::Status read = store.Read([&](Transaction& tx) -> absl::Status {
      HERSTEL_ASSIGN_OR_RETURN(batch, ReadEvents(tx, cursor, kEventBatchSize, types));
      HERSTEL_ASSIGN_OR_RETURN(
          Statement last, tx.Prepare("SELECT COALESCE(MAX(sequence), 0) FROM outbox_events "
                                     "WHERE sequence <= ?"));
      last.Bind(1, window_end);
      HERSTEL_RETURN_IF_ERROR(last.Step().status());
      scanned_to = last.ColumnInt(0);
      return absl::OkStatus();
    });
    if (!read.ok()) return ToGrpcStatus(read, domain);
    for (const v1::Event& event : batch) {
      if (!writer.Write(event)) return grpc::Status::CANCELLED;
    }
    bool caught_up = scanned_to <= cursor || scanned_to < window_end;
    cursor = std::max(cursor, scanned_to);
    if (!caught_up) continue;
    if (request.stop_at_end()) return grpc::Status::OK;
    if (store.notifier().closed()) {
      return ToGrpcStatus(
          absl::UnavailableError(absl::StrCat("server is shutting down; reconnect with "
                                              "after_sequence=",
                                              cursor)),
          domain);
    }
    store.notifier().WaitForEventAfter(cursor, kIdleWakeUp);
  }
  return grpc::Status::CANCELLED;
}

}  // namespace herstel
