#pragma once
// A reflector's store (kube-rs `reflector::store`, client-go's indexer): the latest version of
// every object a watch has shown, reduced by the caller to what it needs, with one secondary
// index (the operator's: the cluster an object belongs to). A relist replaces the whole content
// in one step, so nobody ever reads half of an old view and half of a new one, and reports
// which index values changed, so only their readers need telling.
//
// Objects are shared and immutable: the store and every reader hold the same copy. A store has
// one owner, which applies the watch's events in their order and answers reads; it takes no
// lock. Versions are compared for equality only (resourceVersions are opaque).

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace k8s {

template <class T>
class reflector_store {
 public:
  using pointer = std::shared_ptr<const T>;

  struct entry {
    std::string key;      // namespace/name
    std::string index;    // the secondary index value; "" for none
    std::string version;  // resourceVersion
    pointer object;
  };

  // An object was added or changed. Returns the index value it was filed under before when
  // that differs (a relabelled object leaves its old index), else "".
  std::string apply(entry e) {
    std::string previous;
    auto it = by_key_.find(e.key);
    if (it != by_key_.end() && it->second.index != e.index) {
      previous = it->second.index;
      unfile(e.key, previous);
    }
    file(e.key, e.index, e.object);
    by_key_[e.key] = slot{std::move(e.index), std::move(e.version), std::move(e.object)};
    return previous;
  }

  // An object was deleted. Returns the index value it was filed under ("" when unknown).
  std::string remove(const std::string& key) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return {};
    std::string index = std::move(it->second.index);
    by_key_.erase(it);
    unfile(key, index);
    return index;
  }

  // A complete list replaces everything at once. Returns the index values whose content
  // differs from before: an object added, gone, moved or at another version.
  std::set<std::string> replace(std::vector<entry> snapshot) {
    std::unordered_map<std::string, slot> next;
    next.reserve(snapshot.size());
    for (auto& e : snapshot)
      next[e.key] = slot{std::move(e.index), std::move(e.version), std::move(e.object)};
    std::set<std::string> changed;
    for (const auto& [key, old] : by_key_) {
      auto it = next.find(key);
      if (it == next.end() || it->second.index != old.index || it->second.version != old.version) {
        changed.insert(old.index);
        if (it != next.end()) changed.insert(it->second.index);
      }
    }
    for (const auto& [key, now] : next)
      if (!by_key_.count(key)) changed.insert(now.index);
    changed.erase(std::string());
    by_key_ = std::move(next);
    by_index_.clear();
    for (const auto& [key, s] : by_key_) file(key, s.index, s.object);
    synced_ = true;
    return changed;
  }

  // Every object filed under `index`, in key order.
  std::vector<pointer> list(const std::string& index) const {
    std::vector<pointer> out;
    auto it = by_index_.find(index);
    if (it == by_index_.end()) return out;
    out.reserve(it->second.size());
    for (const auto& [key, object] : it->second) out.push_back(object);
    return out;
  }

  pointer get(const std::string& key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : it->second.object;
  }

  // A first complete list has been applied.
  bool synced() const { return synced_; }
  size_t size() const { return by_key_.size(); }

 private:
  struct slot {
    std::string index;
    std::string version;
    pointer object;
  };

  void file(const std::string& key, const std::string& index, const pointer& object) {
    if (!index.empty()) by_index_[index][key] = object;
  }
  void unfile(const std::string& key, const std::string& index) {
    auto it = by_index_.find(index);
    if (it == by_index_.end()) return;
    it->second.erase(key);
    if (it->second.empty()) by_index_.erase(it);
  }

  std::unordered_map<std::string, slot> by_key_;
  std::unordered_map<std::string, std::map<std::string, pointer>> by_index_;
  bool synced_ = false;
};

}  // namespace k8s
