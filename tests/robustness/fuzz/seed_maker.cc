// Turns the readable seeds of a service (seeds/<service>.jsonl, one JSON
// object a line: {"method": "ListMandates", "role": "operator",
// "forge_page_token": false, "request": {...}}) into fuzz inputs
// (fuzz_input.h) in a corpus folder. Fails on a seed that no longer fits the
// API, so the seeds keep up with the protos.
//
//   seed_maker herstel.v1.MandateService seeds/mandate.jsonl corpus/mandate
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "fuzz_input.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "herstel/v1/common.pb.h"
#include "nlohmann/json.hpp"

int main(int argc, char** argv) {
  using google::protobuf::MessageFactory;
  if (argc != 4) {
    std::cerr << "usage: seed_maker <grpc service> <seeds.jsonl> <corpus folder>\n";
    return 2;
  }
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(argv[1]);
  if (service == nullptr) {
    std::cerr << "unknown service " << argv[1] << "\n";
    return 1;
  }
  std::ifstream in(argv[2]);
  if (!in) {
    std::cerr << "cannot read " << argv[2] << "\n";
    return 1;
  }
  std::string line;
  int written = 0;
  for (int line_number = 1; std::getline(in, line); ++line_number) {
    if (line.empty() || line[0] == '#') continue;
    auto fail = [&](const std::string& why) {
      std::cerr << argv[2] << ":" << line_number << ": " << why << "\n";
      return 1;
    };
    nlohmann::json seed = nlohmann::json::parse(line, nullptr, false);
    if (!seed.is_object() || !seed.contains("method") || !seed["method"].is_string()) {
      return fail("not a JSON object with a \"method\"");
    }
    const auto* method = service->FindMethodByName(seed["method"].get<std::string>());
    if (method == nullptr) return fail(absl::StrCat(argv[1], " has no method ", seed["method"].dump()));
    int role = 0;
    if (seed.contains("role")) {
      std::string name = "ROLE_" + seed["role"].get<std::string>();
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      herstel::v1::Role parsed;
      if (!herstel::v1::Role_Parse(name, &parsed)) return fail("unknown role " + seed["role"].dump());
      role = static_cast<int>(parsed);
    }
    std::unique_ptr<google::protobuf::Message> request(
        MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
    std::string json = seed.contains("request") ? seed["request"].dump() : "{}";
    auto converted = google::protobuf::util::JsonStringToMessage(json, request.get());
    if (!converted.ok()) {
      return fail(absl::StrCat("request does not fit ", method->input_type()->full_name(), ": ",
                               converted.message().ToString()));
    }
    std::string input;
    input.push_back(static_cast<char>(method->index()));
    input.push_back(static_cast<char>(role));
    input.push_back(seed.value("forge_page_token", false) ? herstel::robustness::kFuzzForgePageToken : 0);
    input += request->SerializeAsString();
    std::ofstream out(absl::StrCat(argv[3], "/seed-", line_number), std::ios::binary);
    out << input;
    if (!out) return fail(absl::StrCat("cannot write into ", argv[3]));
    ++written;
  }
  std::cout << argv[1] << ": " << written << " seeds" << std::endl;
  return 0;
}
