// OpenPhone webhook signatures: verification for the webhook endpoint and signing for
// `switchboard send`. Two schemes (see docs in openphone/signatures.md):
//
//   legacy:             openphone-signature: hmac;1;<timestamp ms>;<base64 sig>[,...]
//                       sig = HMAC-SHA256(key, "<timestamp>.<raw body>")
//   Standard Webhooks:  webhook-id, webhook-timestamp (seconds),
//                       webhook-signature: v1,<base64 sig>[ v1,<base64 sig>...]
//                       sig = HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")
//
// In both, the key is the base64-decoded secret (after its `whsec_` prefix for
// Standard Webhooks secrets). All functions are pure and thread-safe.
#ifndef SWITCHBOARD_SERVER_SIGNATURE_H_
#define SWITCHBOARD_SERVER_SIGNATURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/status.h"

namespace switchboard {
namespace server {

// A decoded signing secret. Holds the key bytes only, never the text it came from.
struct SigningKey {
  std::string bytes;   // the HMAC key
  bool whsec = false;  // a `whsec_` (Standard Webhooks) secret
};

// Parses a secret: "whsec_<base64>" or the legacy base64 text (surrounding
// whitespace is ignored). Fails when the text is empty, is not base64 or decodes to
// no bytes; the error message never contains the secret.
Result<SigningKey> ParseSigningKey(std::string_view text);

// Keys that decode to fewer bytes verify, but are weak (OpenPhone's have 32): the
// server warns about them at start.
constexpr size_t kMinStrongKeyBytes = 16;

// A short, non-secret identifier of a key for logs: "legacy:1a2b3c4d" or
// "whsec:1a2b3c4d" (the first 4 bytes of SHA-256 of the key bytes, in hex).
std::string KeyFingerprint(const SigningKey& key);

// The signature headers of a request; an absent header is an empty string.
struct SignatureHeaders {
  std::string openphone_signature;  // legacy
  std::string webhook_id;           // Standard Webhooks
  std::string webhook_timestamp;
  std::string webhook_signature;
};

enum class Verdict {
  kOk,            // a signature verifies with a configured key, timestamp within tolerance
  kMissing,       // no signature header at all
  kMalformed,     // headers present but unusable (syntax, encoding, size)
  kBadSignature,  // well-formed, but no signature matches any key (or no key given)
  kStale,         // timestamp outside now ± tolerance
};

// "ok", "missing", "malformed", "bad signature", "stale".
const char* VerdictName(Verdict v);

// Verifies `body` (the raw request bytes) against whichever scheme's headers are
// present; when both are, either one verifying is enough. Every key in `keys` is tried
// against every signature entry (key rotation); at most 10 entries per header are
// considered. Comparison is constant-time. A timestamp outside now ± tolerance makes
// an entry stale, whether or not its signature is valid. On failure `reason` (may be
// null) gets a one-line explanation that contains neither key material nor header
// text.
Verdict Verify(const SignatureHeaders& headers, std::string_view body,
               const std::vector<SigningKey>& keys, int64_t now_ms, int64_t tolerance_ms,
               std::string* reason);

// The legacy header value "hmac;1;<ts_ms>;<base64 sig>".
std::string SignLegacy(const SigningKey& key, int64_t ts_ms, std::string_view body);

// One Standard Webhooks signature entry "v1,<base64 sig>".
std::string SignStandard(const SigningKey& key, std::string_view id, int64_t ts_s,
                         std::string_view body);

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_SIGNATURE_H_
