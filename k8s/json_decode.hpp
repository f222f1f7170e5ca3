#pragma once
// Decoding the API server's JSON. Objects arrive with metadata.managedFields: server-side
// apply's record of which manager set which field, a tree of small objects often larger than
// the rest of the object's metadata. Nothing a client of this library reads needs it, and
// building it costs most of a decode's allocations, so it is parsed past without being built,
// wherever it is (a single object, the items of a List, the object of a watch event).

#include <string_view>

#include <nlohmann/json.hpp>

namespace k8s {

// The parsed document, discarded (is_discarded()) when the text is not JSON.
nlohmann::json parse_api_json(std::string_view text);

}  // namespace k8s
