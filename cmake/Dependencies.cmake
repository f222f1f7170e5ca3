# Every third-party dependency is found here, from Debian packages, and the known fixes for
# Debian's builds are applied once, on wrapper targets the rest of the tree links against.
find_package(Threads REQUIRED)
find_package(CAF 0.17 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(cpprestsdk CONFIG REQUIRED)
find_package(nlohmann_json 3.11 CONFIG REQUIRED)
find_package(yaml-cpp 0.7 CONFIG REQUIRED)
find_package(spdlog 1.10 CONFIG REQUIRED)
find_package(Catch2 2.13 CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)

# cpprest's U() macro collides with fmt 9 (and so spdlog) unless platform strings are off;
# its config also forgets OpenSSL, which its inline Boost.Asio SSL code needs at link time.
add_library(cpprest_fixed INTERFACE)
target_link_libraries(cpprest_fixed INTERFACE cpprestsdk::cpprest OpenSSL::SSL OpenSSL::Crypto)
target_compile_definitions(cpprest_fixed INTERFACE _TURN_OFF_PLATFORM_STRING)
# hiredis: the Redis client the GCS fault-tolerance cleanup deletes a cluster's keys with.
find_package(PkgConfig REQUIRED)
pkg_check_modules(hiredis REQUIRED IMPORTED_TARGET hiredis>=0.14)
