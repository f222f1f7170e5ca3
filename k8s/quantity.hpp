#pragma once
// Resource quantities ("500m", "1.5Gi", "129e6") with the semantics of Kubernetes'
// resource.Quantity. Values are exact: a signed 128-bit count of nano-units, so sums of
// requests never drift the way doubles would, and anything finer than 1n is rounded away from
// zero at parse time (a request for a tiny amount still asks for something).

#include <cstdint>
#include <string>
#include <string_view>

#include "k8s/error.hpp"

namespace k8s {

class quantity {
 public:
  // The notation family a quantity was written in; to_string() answers in the same family.
  enum class format { decimal_si, binary_si, decimal_exponent };

  quantity() = default;  // zero, decimal_si
  static quantity from_value(int64_t units, format f = format::decimal_si);
  static quantity from_milli(int64_t milli_units);  // decimal_si

  // Fails with error_kind::decode for malformed text and for values beyond about 1.7e29 units.
  // Negative values parse; callers that must not accept them check is_negative().
  static result<quantity> parse(std::string_view text);

  // Whole units and thousandths, rounded away from zero like Quantity.Value() and
  // Quantity.MilliValue(): CPU "500m" -> 1 core, "-1.5" -> -2. Saturate at the int64 range.
  int64_t ceil_value() const;
  int64_t milli_value() const;

  format notation() const { return format_; }
  bool is_negative() const { return nanos_ < 0; }
  bool is_zero() const { return nanos_ == 0; }

  // Keep the left side's format, except that a zero left side takes the right side's, so a
  // sum started from quantity{} reads like its terms. Saturate instead of overflowing.
  quantity operator+(const quantity& other) const;
  quantity operator*(int64_t factor) const;
  quantity& operator+=(const quantity& other) { return *this = *this + other; }

  bool operator==(const quantity& o) const { return nanos_ == o.nanos_; }
  bool operator!=(const quantity& o) const { return nanos_ != o.nanos_; }
  bool operator<(const quantity& o) const { return nanos_ < o.nanos_; }
  bool operator>(const quantity& o) const { return o < *this; }
  bool operator<=(const quantity& o) const { return !(o < *this); }
  bool operator>=(const quantity& o) const { return !(*this < o); }

  // The canonical text Kubernetes itself would write back: "1536Mi", "1500m", "1e3", "0".
  std::string to_string() const;

 private:
  quantity(__int128 nanos, format f) : nanos_(nanos), format_(f) {}

  __int128 nanos_ = 0;
  format format_ = format::decimal_si;
};

}  // namespace k8s
