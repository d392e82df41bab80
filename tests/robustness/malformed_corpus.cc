#include "malformed_corpus.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"

namespace herstel::robustness {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// How deep nested messages are followed (request.mandate.holder.role is 3).
constexpr int kMaxDepth = 4;

using FieldPath = std::vector<const FieldDescriptor*>;

std::string PathLabel(const FieldPath& path) {
  std::vector<std::string> names;
  for (const FieldDescriptor* field : path) {
    names.push_back(field->is_repeated() ? absl::StrCat(field->name(), "[0]") : field->name());
  }
  return absl::StrJoin(names, ".");
}

// Every scalar leaf below `type`, each as the chain of fields leading to it.
void CollectLeaves(const Descriptor& type, FieldPath& prefix, std::vector<FieldPath>& leaves) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    prefix.push_back(field);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (static_cast<int>(prefix.size()) < kMaxDepth) {
        CollectLeaves(*field->message_type(), prefix, leaves);
      }
    } else {
      leaves.push_back(prefix);
    }
    prefix.pop_back();
  }
}

// The message holding the leaf of `path` inside `root`, creating the
// intermediate messages (one element of each repeated one) on the way.
Message* HolderOf(Message& root, const FieldPath& path) {
  Message* current = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const Reflection* reflection = current->GetReflection();
    current = path[i]->is_repeated() ? reflection->AddMessage(current, path[i])
                                     : reflection->MutableMessage(current, path[i]);
  }
  return current;
}

void SetString(Message& root, const FieldPath& path, const std::string& value) {
  Message* holder = HolderOf(root, path);
  const FieldDescriptor* leaf = path.back();
  if (leaf->is_repeated()) {
    holder->GetReflection()->AddString(holder, leaf, value);
  } else {
    holder->GetReflection()->SetString(holder, leaf, value);
  }
}

void SetInt32(Message& root, const FieldPath& path, int32_t value) {
  Message* holder = HolderOf(root, path);
  const FieldDescriptor* leaf = path.back();
  if (leaf->is_repeated()) {
    holder->GetReflection()->AddInt32(holder, leaf, value);
  } else {
    holder->GetReflection()->SetInt32(holder, leaf, value);
  }
}

void SetInt64(Message& root, const FieldPath& path, int64_t value) {
  Message* holder = HolderOf(root, path);
  const FieldDescriptor* leaf = path.back();
  if (leaf->is_repeated()) {
    holder->GetReflection()->AddInt64(holder, leaf, value);
  } else {
    holder->GetReflection()->SetInt64(holder, leaf, value);
  }
}

void SetEnumNumber(Message& root, const FieldPath& path, int value) {
  Message* holder = HolderOf(root, path);
  const FieldDescriptor* leaf = path.back();
  if (leaf->is_repeated()) {
    holder->GetReflection()->AddEnumValue(holder, leaf, value);
  } else {
    holder->GetReflection()->SetEnumValue(holder, leaf, value);
  }
}

std::string Varint(uint64_t value) {
  std::string bytes;
  while (value >= 0x80) {
    bytes.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  bytes.push_back(static_cast<char>(value));
  return bytes;
}

std::string Tag(int number, int wire_type) {
  return Varint((static_cast<uint64_t>(number) << 3) | static_cast<uint64_t>(wire_type));
}

// `field` encoded with a wire type its type never has (packed repeated
// numbers accept length-delimited too, so numbers get a fixed width instead).
std::string WrongWireType(const FieldDescriptor& field) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
      return Tag(field.number(), 0) + Varint(1);
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
    case FieldDescriptor::TYPE_FLOAT:
      return Tag(field.number(), 1) + std::string(8, '\x7f');
    default:
      return Tag(field.number(), 5) + std::string(4, '\x7f');
  }
}

}  // namespace

void PrepareBaseRequest(Message& request) {
  const FieldDescriptor* stop = request.GetDescriptor()->FindFieldByName("stop_at_end");
  if (stop != nullptr && stop->cpp_type() == FieldDescriptor::CPPTYPE_BOOL && !stop->is_repeated()) {
    request.GetReflection()->SetBool(&request, stop, true);
  }
}

std::vector<MalformedRequest> BuildMalformedCorpus(const Message& base) {
  std::vector<MalformedRequest> corpus;
  const std::string base_bytes = base.SerializeAsString();
  corpus.push_back({"empty", "(no field set)", base_bytes, true});

  std::vector<FieldPath> leaves;
  FieldPath prefix;
  CollectLeaves(*base.GetDescriptor(), prefix, leaves);
  auto variant = [&](const std::string& kind, const FieldPath& path, const std::string& value,
                     const std::function<void(Message&)>& set) {
    std::unique_ptr<Message> request(base.New());
    request->CopyFrom(base);
    set(*request);
    corpus.push_back({kind, absl::StrCat(PathLabel(path), "=", value), request->SerializeAsString(), true});
  };
  for (const FieldPath& path : leaves) {
    const FieldDescriptor* leaf = path.back();
    switch (leaf->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        variant("huge string", path, "1MiB", [&](Message& request) {
          SetString(request, path, std::string(kHugeStringBytes, 'x'));
        });
        if (leaf->type() == FieldDescriptor::TYPE_STRING) {
          // Serialize a unique same-length placeholder, then overwrite it:
          // lengths stay right, and the string is no longer UTF-8.
          const std::string placeholder = "@@herstel-utf8-placeholder@@";
          const std::string invalid = std::string("\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc", 13) +
                                      std::string(placeholder.size() - 13, 'z');
          std::unique_ptr<Message> request(base.New());
          request->CopyFrom(base);
          SetString(*request, path, placeholder);
          std::string bytes = request->SerializeAsString();
          size_t at = bytes.find(placeholder);
          if (at != std::string::npos) {
            bytes.replace(at, placeholder.size(), invalid);
            corpus.push_back({"invalid utf-8", absl::StrCat(PathLabel(path), "=\\xff\\xfe..."), bytes, false});
          }
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32:
        for (int32_t value : {std::numeric_limits<int32_t>::max(), int32_t{-1},
                              std::numeric_limits<int32_t>::min()}) {
          variant("int32", path, absl::StrCat(value), [&](Message& request) { SetInt32(request, path, value); });
        }
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        for (int64_t value : {int64_t{-1}, std::numeric_limits<int64_t>::max(),
                              std::numeric_limits<int64_t>::min()}) {
          variant("int64", path, absl::StrCat(value), [&](Message& request) { SetInt64(request, path, value); });
        }
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        variant("unknown enum", path, "999", [&](Message& request) { SetEnumNumber(request, path, 999); });
        break;
      default:
        break;
    }
  }

  const Descriptor& type = *base.GetDescriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    // The wrong-typed field comes first; the base's fields still follow.
    corpus.push_back({"wrong wire type", absl::StrCat(type.field(i)->name(), " with a wrong wire type"),
                      WrongWireType(*type.field(i)) + base_bytes, true});
  }
  const struct {
    const char* label;
    std::string bytes;
  } garbage[] = {
      {"tag 0", std::string("\x00\x01", 2)},
      {"varint longer than 10 bytes", std::string(11, '\xff') + "\x01"},
      {"length past the end", "\x0a\xff\xff\xff\x0f" "abc"},
      {"group without its end", "\x0b\x08\x01"},
      {"truncated varint", "\x08\xff"},
      {"random bytes", "\xde\xad\xbe\xef\x00\x13\x37\xc0\xff\xee"},
  };
  for (const auto& each : garbage) corpus.push_back({"garbage", each.label, each.bytes, false});
  return corpus;
}

}  // namespace herstel::robustness
