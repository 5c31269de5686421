// SWITCHBOARD_EXPORT marks the public API. The library is compiled with hidden
// visibility, so a shared libswitchboard exports these declarations and nothing
// else; in the static library the mark is harmless.
#ifndef SWITCHBOARD_EXPORT_H_
#define SWITCHBOARD_EXPORT_H_

#if defined(_WIN32)
#if defined(SWITCHBOARD_SHARED) && defined(SWITCHBOARD_BUILDING)
#define SWITCHBOARD_EXPORT __declspec(dllexport)
#elif defined(SWITCHBOARD_SHARED)
#define SWITCHBOARD_EXPORT __declspec(dllimport)
#else
#define SWITCHBOARD_EXPORT
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define SWITCHBOARD_EXPORT __attribute__((visibility("default")))
#else
#define SWITCHBOARD_EXPORT
#endif

#endif  // SWITCHBOARD_EXPORT_H_
