// A minimal test harness, so the host tests need nothing beyond g++. Each TEST registers
// itself; CHECK* record failures without aborting the test. The runner prints one line per
// failure and ends with "device-core: N passed, M failed".
#ifndef WIO_TEST_HARNESS_H
#define WIO_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sstream>
#include <string>

namespace harness {

struct Case {
  const char* name;
  void (*fn)();
  Case* next;
};

inline Case*& head() {
  static Case* h = 0;
  return h;
}
inline Case*& tail() {
  static Case* t = 0;
  return t;
}
inline int& current_failures() {
  static int n = 0;
  return n;
}

struct Registrar {
  Registrar(Case* c) {
    if (tail()) tail()->next = c; else head() = c;
    tail() = c;
  }
};

template <typename T>
std::string show(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
inline std::string show(const uint8_t& v) { return show(static_cast<unsigned>(v)); }
inline std::string show(const int8_t& v) { return show(static_cast<int>(v)); }
inline std::string show(const char* v) { return v ? "\"" + std::string(v) + "\"" : "(null)"; }
inline std::string show(char* v) { return show(static_cast<const char*>(v)); }
inline std::string show(const std::string& v) { return "\"" + v + "\""; }

inline void fail(const char* file, int line, const std::string& msg) {
  ++current_failures();
  fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, msg.c_str());
}

}  // namespace harness

#define HARNESS_CAT2(a, b) a##b
#define HARNESS_CAT(a, b) HARNESS_CAT2(a, b)

#define TEST(name)                                                                     \
  static void HARNESS_CAT(test_fn_, name)();                                           \
  static harness::Case HARNESS_CAT(test_case_, name) = {#name, &HARNESS_CAT(test_fn_, name), 0}; \
  static harness::Registrar HARNESS_CAT(test_reg_, name)(&HARNESS_CAT(test_case_, name)); \
  static void HARNESS_CAT(test_fn_, name)()

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) harness::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                                                       \
  do {                                                                                       \
    const auto& harness_a_ = (a);                                                            \
    const auto& harness_b_ = (b);                                                            \
    if (!(harness_a_ == harness_b_))                                                         \
      harness::fail(__FILE__, __LINE__,                                                      \
                    std::string("CHECK_EQ(" #a ", " #b "): ") + harness::show(harness_a_) + \
                        " != " + harness::show(harness_b_));                                 \
  } while (0)

#define CHECK_STR(a, b)                                                                        \
  do {                                                                                         \
    std::string harness_a_ = (a);                                                              \
    std::string harness_b_ = (b);                                                              \
    if (harness_a_ != harness_b_)                                                              \
      harness::fail(__FILE__, __LINE__,                                                        \
                    std::string("CHECK_STR(" #a ", " #b "):\n      got      ") + harness_a_ + \
                        "\n      expected " + harness_b_);                                     \
  } while (0)

#endif  // WIO_TEST_HARNESS_H
