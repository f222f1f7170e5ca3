// CAF's test coordinator fixture (caf/test/dsl.hpp) reads the options of CAF's own test engine;
// its implementation lives in this one translation unit. Catch2 runs the tests.
#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>
