#include "k8s/quantity.hpp"

#include <cstddef>

namespace k8s {

namespace {

using i128 = __int128;
using u128 = unsigned __int128;

// Symmetric bounds, so negating a value never overflows.
constexpr i128 max_nanos = static_cast<i128>((static_cast<u128>(1) << 127) - 1);
constexpr i128 nanos_per_unit = 1'000'000'000;
constexpr int64_t max_exponent = 1'000'000;  // far beyond any representable value

struct suffix_info {
  std::string_view text;
  int64_t decimal_exponent;
  int binary_exponent;
  quantity::format notation;
};

constexpr suffix_info known_suffixes[] = {
    {"", 0, 0, quantity::format::decimal_si},   {"n", -9, 0, quantity::format::decimal_si},
    {"u", -6, 0, quantity::format::decimal_si}, {"m", -3, 0, quantity::format::decimal_si},
    {"k", 3, 0, quantity::format::decimal_si},  {"M", 6, 0, quantity::format::decimal_si},
    {"G", 9, 0, quantity::format::decimal_si},  {"T", 12, 0, quantity::format::decimal_si},
    {"P", 15, 0, quantity::format::decimal_si}, {"E", 18, 0, quantity::format::decimal_si},
    {"Ki", 0, 10, quantity::format::binary_si}, {"Mi", 0, 20, quantity::format::binary_si},
    {"Gi", 0, 30, quantity::format::binary_si}, {"Ti", 0, 40, quantity::format::binary_si},
    {"Pi", 0, 50, quantity::format::binary_si}, {"Ei", 0, 60, quantity::format::binary_si},
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

api_error invalid(std::string_view text, const std::string& why) {
  constexpr size_t max_quoted = 64;
  std::string quoted(text.substr(0, max_quoted));
  if (text.size() > max_quoted) quoted += "...";
  return api_error(error_kind::decode, "\"" + quoted + "\" is not a valid quantity: " + why);
}

// "e3", "E-2", "e+10": exponent notation, told apart from the exa suffix "E" by its digits.
bool parse_exponent(std::string_view s, int64_t& exponent) {
  if (s.size() < 2 || (s[0] != 'e' && s[0] != 'E')) return false;
  size_t pos = 1;
  bool negative = false;
  if (s[pos] == '+' || s[pos] == '-') negative = s[pos++] == '-';
  if (pos == s.size()) return false;
  int64_t value = 0;
  for (; pos < s.size(); ++pos) {
    if (!is_digit(s[pos])) return false;
    if (value < max_exponent) value = value * 10 + (s[pos] - '0');
  }
  exponent = negative ? -value : value;
  return true;
}

// Exact doubling of a decimal digit string, so binary suffixes never lose precision.
void double_digits(std::string& digits) {
  int carry = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = (*it - '0') * 2 + carry;
    *it = static_cast<char>('0' + d % 10);
    carry = d / 10;
  }
  if (carry) digits.insert(digits.begin(), '1');
}

std::string to_decimal(u128 v) {
  if (v == 0) return "0";
  std::string out;
  for (; v != 0; v /= 10)
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
  return out;
}

i128 divide_away_from_zero(i128 v, i128 d) {
  i128 q = v / d;
  if (v % d != 0) q += v < 0 ? -1 : 1;
  return q;
}

int64_t saturate(i128 v) {
  if (v > INT64_MAX) return INT64_MAX;
  if (v < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(v);
}

i128 clamp(i128 v) {
  return v < -max_nanos ? -max_nanos : v;
}

}  // namespace

quantity quantity::from_value(int64_t units, format f) {
  return quantity(static_cast<i128>(units) * nanos_per_unit, f);
}

quantity quantity::from_milli(int64_t milli_units) {
  return quantity(static_cast<i128>(milli_units) * 1'000'000, format::decimal_si);
}

result<quantity> quantity::parse(std::string_view text) {
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) negative = text[pos++] == '-';
  size_t int_start = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  std::string digits(text.substr(int_start, pos - int_start));
  size_t fraction_length = 0;
  if (pos < text.size() && text[pos] == '.') {
    size_t frac_start = ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    fraction_length = pos - frac_start;
    digits += text.substr(frac_start, fraction_length);
  }
  if (digits.empty()) return invalid(text, "it has no digits");

  std::string_view suffix = text.substr(pos);
  int64_t decimal_exponent = 0;
  int binary_exponent = 0;
  format notation = format::decimal_exponent;
  bool known = false;
  for (const auto& s : known_suffixes) {
    if (s.text == suffix) {
      decimal_exponent = s.decimal_exponent;
      binary_exponent = s.binary_exponent;
      notation = s.notation;
      known = true;
    }
  }
  if (!known && !parse_exponent(suffix, decimal_exponent))
    return invalid(text, "\"" + std::string(suffix) + "\" is not a known suffix");

  // value = digits * 2^binary_exponent * 10^shift nano-units, computed on the digit string.
  digits.erase(0, digits.find_first_not_of('0'));
  if (digits.empty()) return quantity(0, notation);
  for (int i = 0; i < binary_exponent; ++i) double_digits(digits);
  int64_t shift = decimal_exponent + 9 - static_cast<int64_t>(fraction_length);
  bool inexact = false;
  if (shift >= 0) {
    if (static_cast<int64_t>(digits.size()) + shift > 40) return invalid(text, "it is too large");
    digits.append(static_cast<size_t>(shift), '0');
  } else if (static_cast<size_t>(-shift) >= digits.size()) {
    inexact = true;
    digits.clear();
  } else {
    size_t keep = digits.size() - static_cast<size_t>(-shift);
    inexact = digits.find_first_not_of('0', keep) != std::string::npos;
    digits.resize(keep);
  }

  u128 magnitude = 0;
  for (char c : digits) {
    int d = c - '0';
    if (magnitude > (static_cast<u128>(max_nanos) - d) / 10)
      return invalid(text, "it is too large");
    magnitude = magnitude * 10 + d;
  }
  if (inexact) {
    if (magnitude == static_cast<u128>(max_nanos)) return invalid(text, "it is too large");
    ++magnitude;
  }
  i128 nanos = negative ? -static_cast<i128>(magnitude) : static_cast<i128>(magnitude);
  // A binary value below one unit has no binary spelling; Kubernetes switches it to decimal.
  if (notation == format::binary_si && nanos > 0 && nanos < nanos_per_unit)
    notation = format::decimal_si;
  return quantity(nanos, notation);
}

int64_t quantity::ceil_value() const {
  return saturate(divide_away_from_zero(nanos_, nanos_per_unit));
}

int64_t quantity::milli_value() const {
  return saturate(divide_away_from_zero(nanos_, 1'000'000));
}

quantity quantity::operator+(const quantity& other) const {
  format f = is_zero() ? other.format_ : format_;
  i128 sum;
  if (__builtin_add_overflow(nanos_, other.nanos_, &sum)) sum = nanos_ < 0 ? -max_nanos : max_nanos;
  return quantity(clamp(sum), f);
}

quantity quantity::operator*(int64_t factor) const {
  i128 product;
  if (__builtin_mul_overflow(nanos_, static_cast<i128>(factor), &product))
    product = (nanos_ < 0) != (factor < 0) ? -max_nanos : max_nanos;
  return quantity(clamp(product), format_);
}

std::string quantity::to_string() const {
  if (nanos_ == 0) return "0";
  std::string sign = nanos_ < 0 ? "-" : "";
  u128 magnitude = nanos_ < 0 ? -static_cast<u128>(nanos_) : static_cast<u128>(nanos_);
  const u128 unit = static_cast<u128>(nanos_per_unit);

  format f = format_;
  // Binary spelling only for whole numbers of at least 1Ki; anything else would round.
  if (f == format::binary_si && (magnitude < 1024 * unit || magnitude % unit != 0))
    f = format::decimal_si;
  if (f == format::binary_si) {
    static const char* const binary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    u128 units = magnitude / unit;
    int power = 0;
    while (power < 6 && units % 1024 == 0) {
      units /= 1024;
      ++power;
    }
    return sign + to_decimal(units) + binary[power];
  }

  // Smallest mantissa whose exponent is a multiple of three, as Kubernetes writes it.
  int exponent = -9;
  while (magnitude % 10 == 0) {
    magnitude /= 10;
    ++exponent;
  }
  for (int r = ((exponent % 3) + 3) % 3; r > 0; --r) {
    magnitude *= 10;
    --exponent;
  }
  if (f == format::decimal_exponent)
    return sign + to_decimal(magnitude) + (exponent == 0 ? "" : "e" + std::to_string(exponent));
  for (; exponent > 18; exponent -= 3) magnitude *= 1000;  // nothing above "E"
  static const char* const decimal[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  return sign + to_decimal(magnitude) + decimal[(exponent + 9) / 3];
}

}  // namespace k8s
