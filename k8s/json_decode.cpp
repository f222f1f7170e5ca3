#include "k8s/json_decode.hpp"

#include <vector>

namespace k8s {

namespace {

// nlohmann's parser callback, told of each key and each object's start with the depth of the
// object that holds it. Each level remembers whether its object is a "metadata" value, and
// whether the level's last key was "metadata" (so the object that starts next is one).
class without_managed_fields {
 public:
  bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using ev = nlohmann::json::parse_event_t;
    const auto d = static_cast<size_t>(depth);
    switch (event) {
      case ev::object_start:
      case ev::array_start:
        level(d + 1).is_metadata = event == ev::object_start && d > 0 && level(d).key_is_metadata;
        level(d + 1).key_is_metadata = false;
        return true;
      case ev::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (level(d).is_metadata && key == "managedFields") return false;
        level(d).key_is_metadata = key == "metadata";
        return true;
      }
      default:
        return true;
    }
  }

 private:
  struct state {
    bool is_metadata = false;
    bool key_is_metadata = false;
  };
  state& level(size_t d) {
    if (levels_.size() <= d) levels_.resize(d + 1);
    return levels_[d];
  }
  std::vector<state> levels_;
};

}  // namespace

nlohmann::json parse_api_json(std::string_view text) {
  return nlohmann::json::parse(text, without_managed_fields(), /*allow_exceptions=*/false);
}

}  // namespace k8s
