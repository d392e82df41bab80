#include "herstel/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace herstel {
namespace {

constexpr absl::string_view kInvalidFieldReason = "INVALID_FIELD";

}  // namespace

absl::Status WithDetail(absl::Status status, const v1::ErrorDetail& detail) {
  if (status.ok()) return status;
  status.SetPayload(kErrorDetailTypeUrl, absl::Cord(detail.SerializeAsString()));
  return status;
}

std::optional<v1::ErrorDetail> GetErrorDetail(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorDetailTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  v1::ErrorDetail detail;
  if (!detail.ParseFromString(std::string(*payload))) return std::nullopt;
  return detail;
}

absl::Status DomainError(absl::StatusCode code, absl::string_view reason,
                         absl::string_view message,
                         const std::map<std::string, std::string>& metadata) {
  v1::ErrorDetail detail;
  detail.set_reason(std::string(reason));
  for (const auto& [key, value] : metadata) (*detail.mutable_metadata())[key] = value;
  return WithDetail(absl::Status(code, message), detail);
}

absl::Status FieldError(absl::string_view field, absl::string_view rule) {
  FieldViolations violations;
  violations.Add(field, rule);
  return violations.ToStatus();
}

void FieldViolations::Add(absl::string_view field, absl::string_view rule) {
  violations_.emplace_back(std::string(field), std::string(rule));
}

bool FieldViolations::Require(bool condition, absl::string_view field,
                              absl::string_view rule) {
  if (!condition) Add(field, rule);
  return condition;
}

absl::Status FieldViolations::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  v1::ErrorDetail detail;
  detail.set_reason(std::string(kInvalidFieldReason));
  std::vector<std::string> parts;
  for (const auto& [field, rule] : violations_) {
    v1::FieldViolation* violation = detail.add_field_violations();
    violation->set_field(field);
    violation->set_description(rule);
    parts.push_back(absl::StrCat(field, ": ", rule));
  }
  return WithDetail(absl::InvalidArgumentError(absl::StrJoin(parts, "; ")), detail);
}

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view domain) {
  if (status.ok()) return grpc::Status::OK;
  absl::StatusCode code = status.code();
  if (code == absl::StatusCode::kUnknown) code = absl::StatusCode::kInternal;

  v1::ErrorDetail detail = GetErrorDetail(status).value_or(v1::ErrorDetail());
  if (detail.reason().empty()) detail.set_reason(absl::StatusCodeToString(code));
  detail.set_domain(std::string(domain));

  v1::RpcStatus wire;
  wire.set_code(static_cast<int>(code));
  wire.set_message(std::string(status.message()));
  wire.add_details()->PackFrom(detail);
  return grpc::Status(static_cast<grpc::StatusCode>(code), std::string(status.message()),
                      wire.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
  v1::RpcStatus wire;
  if (status.error_details().empty() || !wire.ParseFromString(status.error_details())) {
    return result;
  }
  for (const google::protobuf::Any& any : wire.details()) {
    v1::ErrorDetail detail;
    if (any.UnpackTo(&detail)) return WithDetail(std::move(result), detail);
  }
  return result;
}

}  // namespace herstel
