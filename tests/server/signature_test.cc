// Webhook signatures: the documented test vectors, key rotation, replay windows,
// malformed headers, and `switchboard send` producing requests that verify.
#include "signature.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli.h"

namespace switchboard {
namespace server {
namespace {

constexpr int64_t kTolerance = 5 * 60 * 1000;

// From openphone/signatures.md.
const char kLegacyKey[] = "c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=";
constexpr int64_t kLegacyTs = 1767625445123;
const char kLegacyHeader[] = "hmac;1;1767625445123;MNKmIbnSvpRrgbjSYUgYTOtwXG2plTa7lDi3fBO9pls=";
const char kLegacyWrongKeyUsageSig[] = "93cfNxusOK/YNALLxQvMfCyvBCjV6dXDVrRZ+wvcgpc=";
const char kBetaSecret[] = "whsec_c3dpdGNoYm9hcmQtYmV0YS1zZWNyZXQtMzItYnl0ZXM=";
const char kBetaId[] = "msg_0001";
constexpr int64_t kBetaTs = 1767625445;
const char kBetaSignature[] = "v1,9xwb3wNWo7DDTWmPAVc5ShN/gggxmlesFZFF1LH6jhw=";

// Another valid 32-byte key (base64 of "another-switchboard-key-32-bytes").
const char kOtherKey[] = "YW5vdGhlci1zd2l0Y2hib2FyZC1rZXktMzItYnl0ZXM=";

std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(SWITCHBOARD_TEST_DATA) + "/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

SigningKey Key(const char* text) {
  Result<SigningKey> key = ParseSigningKey(text);
  EXPECT_TRUE(key.ok()) << key.status().message();
  return key.ok() ? key.value() : SigningKey{};
}

SignatureHeaders Legacy(std::string value) {
  SignatureHeaders h;
  h.openphone_signature = std::move(value);
  return h;
}

SignatureHeaders Standard(std::string id, std::string ts, std::string sig) {
  SignatureHeaders h;
  h.webhook_id = std::move(id);
  h.webhook_timestamp = std::move(ts);
  h.webhook_signature = std::move(sig);
  return h;
}

Verdict VerifyLegacy(const std::string& header, const std::string& body,
                     const std::vector<SigningKey>& keys, std::string* reason = nullptr) {
  return Verify(Legacy(header), body, keys, kLegacyTs, kTolerance, reason);
}

Verdict VerifyBeta(const std::string& sig, const std::string& body,
                   const std::vector<SigningKey>& keys, std::string* reason = nullptr) {
  return Verify(Standard(kBetaId, std::to_string(kBetaTs), sig), body, keys, kBetaTs * 1000,
                kTolerance, reason);
}

class SignatureTest : public ::testing::Test {
 protected:
  std::string legacy_body_ = ReadData("vector-legacy.body.json");
  std::string beta_body_ = ReadData("vector-beta.body.json");
  SigningKey legacy_key_ = Key(kLegacyKey);
  SigningKey beta_key_ = Key(kBetaSecret);
  SigningKey other_key_ = Key(kOtherKey);
};

TEST_F(SignatureTest, VectorBodiesHaveNoTrailingNewline) {
  ASSERT_FALSE(legacy_body_.empty());
  ASSERT_FALSE(beta_body_.empty());
  EXPECT_NE(legacy_body_.back(), '\n');
  EXPECT_NE(beta_body_.back(), '\n');
}

TEST_F(SignatureTest, ParsesLegacyKeyAsDecodedBytes) {
  EXPECT_EQ(legacy_key_.bytes, "switchboard-test-key-00000000001");
  EXPECT_FALSE(legacy_key_.whsec);
}

TEST_F(SignatureTest, ParsesWhsecKeyAfterPrefix) {
  EXPECT_EQ(beta_key_.bytes, "switchboard-beta-secret-32-bytes");
  EXPECT_TRUE(beta_key_.whsec);
}

TEST_F(SignatureTest, LegacyVectorVerifies) {
  std::string reason;
  EXPECT_EQ(VerifyLegacy(kLegacyHeader, legacy_body_, {legacy_key_}, &reason), Verdict::kOk)
      << reason;
}

TEST_F(SignatureTest, LegacyVectorSignsToDocumentedHeader) {
  EXPECT_EQ(SignLegacy(legacy_key_, kLegacyTs, legacy_body_), kLegacyHeader);
}

TEST_F(SignatureTest, RejectsSignatureMadeWithUndecodedKeyText) {
  std::string header = "hmac;1;1767625445123;" + std::string(kLegacyWrongKeyUsageSig);
  EXPECT_EQ(VerifyLegacy(header, legacy_body_, {legacy_key_}), Verdict::kBadSignature);
  // It is exactly what the common integration bug computes.
  SigningKey text_as_key{kLegacyKey, false};
  EXPECT_EQ(SignLegacy(text_as_key, kLegacyTs, legacy_body_), header);
}

TEST_F(SignatureTest, BetaVectorVerifies) {
  std::string reason;
  EXPECT_EQ(VerifyBeta(kBetaSignature, beta_body_, {beta_key_}, &reason), Verdict::kOk) << reason;
}

TEST_F(SignatureTest, BetaVectorSignsToDocumentedSignature) {
  EXPECT_EQ(SignStandard(beta_key_, kBetaId, kBetaTs, beta_body_), kBetaSignature);
}

TEST_F(SignatureTest, RejectsTamperedBody) {
  std::string body = legacy_body_;
  body[body.size() / 2] ^= 1;
  EXPECT_EQ(VerifyLegacy(kLegacyHeader, body, {legacy_key_}), Verdict::kBadSignature);
  EXPECT_EQ(VerifyLegacy(kLegacyHeader, legacy_body_ + " ", {legacy_key_}), Verdict::kBadSignature);
  std::string beta = beta_body_;
  beta[10] ^= 1;
  EXPECT_EQ(VerifyBeta(kBetaSignature, beta, {beta_key_}), Verdict::kBadSignature);
}

TEST_F(SignatureTest, RejectsWrongKey) {
  std::string reason;
  EXPECT_EQ(VerifyLegacy(kLegacyHeader, legacy_body_, {other_key_}, &reason),
            Verdict::kBadSignature);
  EXPECT_NE(reason.find("no signature matches"), std::string::npos) << reason;
  EXPECT_EQ(VerifyBeta(kBetaSignature, beta_body_, {other_key_}), Verdict::kBadSignature);
}

TEST_F(SignatureTest, RejectsWhenNoKeyIsConfigured) {
  std::string reason;
  EXPECT_EQ(VerifyLegacy(kLegacyHeader, legacy_body_, {}, &reason), Verdict::kBadSignature);
  EXPECT_NE(reason.find("no signing key"), std::string::npos) << reason;
}

TEST_F(SignatureTest, AcceptsAnyConfiguredKeyForRotation) {
  EXPECT_EQ(VerifyLegacy(kLegacyHeader, legacy_body_, {other_key_, legacy_key_}), Verdict::kOk);
  EXPECT_EQ(VerifyBeta(kBetaSignature, beta_body_, {other_key_, legacy_key_, beta_key_}),
            Verdict::kOk);
}

TEST_F(SignatureTest, AcceptsAnyOfSeveralCommaSeparatedLegacySignatures) {
  std::string other = SignLegacy(other_key_, kLegacyTs, legacy_body_);
  EXPECT_EQ(VerifyLegacy(other + "," + kLegacyHeader, legacy_body_, {legacy_key_}), Verdict::kOk);
  EXPECT_EQ(VerifyLegacy(std::string(kLegacyHeader) + ", " + other, legacy_body_, {legacy_key_}),
            Verdict::kOk);
  // A malformed entry next to a good one does not spoil it.
  EXPECT_EQ(VerifyLegacy("hmac;1;abc;x," + std::string(kLegacyHeader), legacy_body_, {legacy_key_}),
            Verdict::kOk);
  EXPECT_EQ(VerifyLegacy(other + "," + other, legacy_body_, {legacy_key_}), Verdict::kBadSignature);
}

TEST_F(SignatureTest, AcceptsAnyOfSeveralSpaceSeparatedV1Signatures) {
  std::string other = SignStandard(other_key_, kBetaId, kBetaTs, beta_body_);
  EXPECT_EQ(VerifyBeta(other + " " + kBetaSignature, beta_body_, {beta_key_}), Verdict::kOk);
  EXPECT_EQ(VerifyBeta(std::string(kBetaSignature) + "  " + other, beta_body_, {beta_key_}),
            Verdict::kOk);
  // Unknown schemes (v1a is asymmetric) are skipped, not fatal.
  EXPECT_EQ(VerifyBeta("v1a,Zm9v " + std::string(kBetaSignature), beta_body_, {beta_key_}),
            Verdict::kOk);
  EXPECT_EQ(VerifyBeta(other, beta_body_, {beta_key_}), Verdict::kBadSignature);
}

TEST_F(SignatureTest, LooksAtNoMoreThanTenEntries) {
  std::string other = SignLegacy(other_key_, kLegacyTs, legacy_body_);
  std::string header;
  for (int i = 0; i < 10; ++i) header += other + ",";
  EXPECT_EQ(VerifyLegacy(header + kLegacyHeader, legacy_body_, {legacy_key_}),
            Verdict::kBadSignature);
}

TEST_F(SignatureTest, RejectsStaleAndFutureTimestamps) {
  std::string reason;
  // Legacy: the timestamp is in milliseconds.
  EXPECT_EQ(Verify(Legacy(kLegacyHeader), legacy_body_, {legacy_key_}, kLegacyTs + kTolerance + 1,
                   kTolerance, &reason),
            Verdict::kStale);
  EXPECT_NE(reason.find("behind"), std::string::npos) << reason;
  EXPECT_EQ(Verify(Legacy(kLegacyHeader), legacy_body_, {legacy_key_}, kLegacyTs - kTolerance - 1,
                   kTolerance, &reason),
            Verdict::kStale);
  EXPECT_NE(reason.find("ahead"), std::string::npos) << reason;
  // The edges of the window are inside.
  EXPECT_EQ(Verify(Legacy(kLegacyHeader), legacy_body_, {legacy_key_}, kLegacyTs + kTolerance,
                   kTolerance, nullptr),
            Verdict::kOk);
  EXPECT_EQ(Verify(Legacy(kLegacyHeader), legacy_body_, {legacy_key_}, kLegacyTs - kTolerance,
                   kTolerance, nullptr),
            Verdict::kOk);

  // Standard Webhooks: the timestamp is in seconds.
  SignatureHeaders h = Standard(kBetaId, std::to_string(kBetaTs), kBetaSignature);
  EXPECT_EQ(Verify(h, beta_body_, {beta_key_}, kBetaTs * 1000 + kTolerance, kTolerance, nullptr),
            Verdict::kOk);
  EXPECT_EQ(
      Verify(h, beta_body_, {beta_key_}, kBetaTs * 1000 + kTolerance + 1000, kTolerance, nullptr),
      Verdict::kStale);
  EXPECT_EQ(
      Verify(h, beta_body_, {beta_key_}, kBetaTs * 1000 - kTolerance - 1000, kTolerance, nullptr),
      Verdict::kStale);
  // Treating seconds as milliseconds (or the reverse) is far outside any window.
  EXPECT_EQ(Verify(h, beta_body_, {beta_key_}, kBetaTs, kTolerance, nullptr), Verdict::kStale);
}

TEST_F(SignatureTest, StaleWithWrongSignatureIsStillStale) {
  std::string header = SignLegacy(other_key_, kLegacyTs, legacy_body_);
  EXPECT_EQ(Verify(Legacy(header), legacy_body_, {legacy_key_}, kLegacyTs + 3600 * 1000, kTolerance,
                   nullptr),
            Verdict::kStale);
}

TEST_F(SignatureTest, ReportsMissingHeaders) {
  std::string reason;
  EXPECT_EQ(Verify(SignatureHeaders{}, legacy_body_, {legacy_key_}, kLegacyTs, kTolerance, &reason),
            Verdict::kMissing);
  EXPECT_FALSE(reason.empty());
  EXPECT_EQ(Verify(Legacy("   "), legacy_body_, {legacy_key_}, kLegacyTs, kTolerance, nullptr),
            Verdict::kMissing);
}

TEST_F(SignatureTest, RejectsMalformedLegacyHeaders) {
  const std::string good_sig = "MNKmIbnSvpRrgbjSYUgYTOtwXG2plTa7lDi3fBO9pls=";
  const std::vector<std::string> cases = {
      ",",
      ";;;",
      "hmac",
      "hmac;1",
      "hmac;1;1767625445123",
      "hmac;1;1767625445123;",
      "hmac;1;abc;x",
      "hmac;1;abc;" + good_sig,
      "hmac;1;-1767625445123;" + good_sig,
      "hmac;1;+1767625445123;" + good_sig,
      "hmac;1;1767625445123.5;" + good_sig,
      "hmac;1; 1767625445123;" + good_sig,
      "hmac;1;99999999999999999999999999;" + good_sig,
      "hmac;2;1767625445123;" + good_sig,
      "HMAC;1;1767625445123;" + good_sig,
      "sha256;1;1767625445123;" + good_sig,
      "hmac;1;1767625445123;" + good_sig + ";extra",
      "hmac;1;1767625445123;not base64!",
      "hmac;1;1767625445123;" + good_sig.substr(0, 20),                      // too short
      "hmac;1;1767625445123;" + good_sig + good_sig,                         // too long
      "hmac;1;1767625445123;MNKmIbnSvpRrgbjSYUgYTOtwXG2plTa7lDi3fBO9pls==",  // bad padding
      "hmac;1;1767625445123;=" + good_sig,
      "hmac;1;1767625445123;" + good_sig + "\x01",
      std::string("hmac;1;1767625445123;\0", 23) + good_sig,
      std::string(10000, 'A'),
      "hmac;1;1767625445123;" + std::string(10000, 'A'),
      std::string(10000, ','),
      std::string(10000, ';'),
  };
  for (const std::string& header : cases) {
    std::string reason;
    EXPECT_EQ(VerifyLegacy(header, legacy_body_, {legacy_key_}, &reason), Verdict::kMalformed)
        << "header: " << header.substr(0, 80);
    EXPECT_FALSE(reason.empty());
    if (header.size() > 30) {
      EXPECT_EQ(reason.find(header.substr(0, 30)), std::string::npos)
          << "the reason must not echo the header: " << reason;
    }
  }
}

TEST_F(SignatureTest, RejectsMalformedStandardHeaders) {
  const std::string ts = std::to_string(kBetaTs);
  const std::vector<SignatureHeaders> cases = {
      Standard(kBetaId, "", ""),
      Standard("", ts, kBetaSignature),
      Standard(kBetaId, "", kBetaSignature),
      Standard(kBetaId, ts, ""),
      Standard(kBetaId, "abc", kBetaSignature),
      Standard(kBetaId, "-1767625445", kBetaSignature),
      Standard(kBetaId, "1767625445.0", kBetaSignature),
      Standard(kBetaId, "99999999999999999999", kBetaSignature),
      Standard(kBetaId, ts, "v1"),
      Standard(kBetaId, ts, "v1,"),
      Standard(kBetaId, ts, "v1,???"),
      Standard(kBetaId, ts, "9xwb3wNWo7DDTWmPAVc5ShN/gggxmlesFZFF1LH6jhw="),
      Standard(kBetaId, ts, "v2,9xwb3wNWo7DDTWmPAVc5ShN/gggxmlesFZFF1LH6jhw="),
      Standard(kBetaId, ts, "v1,9xwb3wNWo7DDTWmPAVc5ShN"),
      Standard(kBetaId, ts, kBetaSignature + std::string(10000, ' ') + kBetaSignature),
      Standard(std::string(10000, 'i'), ts, kBetaSignature),
      Standard(kBetaId, ts, std::string(10000, 'v')),
  };
  for (const SignatureHeaders& h : cases) {
    std::string reason;
    EXPECT_EQ(Verify(h, beta_body_, {beta_key_}, kBetaTs * 1000, kTolerance, &reason),
              Verdict::kMalformed)
        << "id=" << h.webhook_id.substr(0, 20) << " ts=" << h.webhook_timestamp
        << " sig=" << h.webhook_signature.substr(0, 60);
    EXPECT_FALSE(reason.empty());
  }
}

TEST_F(SignatureTest, EitherSchemeIsEnoughWhenBothArePresent) {
  SignatureHeaders h = Standard(kBetaId, std::to_string(kBetaTs), kBetaSignature);
  h.openphone_signature = "hmac;1;garbage";
  EXPECT_EQ(Verify(h, beta_body_, {beta_key_}, kBetaTs * 1000, kTolerance, nullptr), Verdict::kOk);

  SignatureHeaders l = Legacy(kLegacyHeader);
  l.webhook_id = "msg_x";  // an incomplete Standard Webhooks set
  EXPECT_EQ(Verify(l, legacy_body_, {legacy_key_}, kLegacyTs, kTolerance, nullptr), Verdict::kOk);

  // Both wrong: the more specific verdict wins over "malformed".
  h.webhook_signature = SignStandard(other_key_, kBetaId, kBetaTs, beta_body_);
  EXPECT_EQ(Verify(h, beta_body_, {beta_key_}, kBetaTs * 1000, kTolerance, nullptr),
            Verdict::kBadSignature);
}

TEST_F(SignatureTest, SignAndVerifyRoundTrip) {
  const std::string body = R"({"id":"EV1","type":"message.received","data":{}})";
  const int64_t now_ms = 1800000000123;
  for (const SigningKey& key : {legacy_key_, beta_key_, other_key_}) {
    EXPECT_EQ(
        Verify(Legacy(SignLegacy(key, now_ms, body)), body, {key}, now_ms, kTolerance, nullptr),
        Verdict::kOk);
    SignatureHeaders h = Standard("msg_abc", std::to_string(now_ms / 1000),
                                  SignStandard(key, "msg_abc", now_ms / 1000, body));
    EXPECT_EQ(Verify(h, body, {key}, now_ms, kTolerance, nullptr), Verdict::kOk);
    h.webhook_id = "msg_abd";  // the id is covered by the signature
    EXPECT_EQ(Verify(h, body, {key}, now_ms, kTolerance, nullptr), Verdict::kBadSignature);
  }
  // An empty body signs and verifies too.
  EXPECT_EQ(Verify(Legacy(SignLegacy(legacy_key_, now_ms, "")), "", {legacy_key_}, now_ms,
                   kTolerance, nullptr),
            Verdict::kOk);
}

TEST_F(SignatureTest, SignLegacyHeaderShape) {
  std::string header = SignLegacy(legacy_key_, 1639710054089, "{}");
  ASSERT_EQ(header.rfind("hmac;1;1639710054089;", 0), 0u) << header;
  EXPECT_EQ(header.size(), std::string("hmac;1;1639710054089;").size() + 44);
  EXPECT_EQ(SignStandard(beta_key_, "msg_1", 1, "{}").rfind("v1,", 0), 0u);
}

// The MAC against OpenSSL's own one-shot HMAC, for keys shorter than, equal to and
// longer than SHA-256's 64-byte block (a longer key is hashed first), signed from
// several threads at once (each thread keeps its own digest context).
TEST(Hmac, MatchesOpenSslForEveryKeyLengthAndAcrossThreads) {
  const std::string body = R"({"id":"EV1","type":"message.received","data":{"text":"hi"}})";
  const int64_t ts = 1767625445123;
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (size_t length : {16, 32, 63, 64, 65, 131}) {
    threads.emplace_back([&, length] {
      SigningKey key;
      for (size_t i = 0; i < length; ++i) key.bytes += static_cast<char>(0xa0 + i % 37);
      std::string message = std::to_string(ts) + "." + body;
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int mac_size = 0;
      HMAC(EVP_sha256(), key.bytes.data(), static_cast<int>(key.bytes.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &mac_size);
      unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
      int b64_size = EVP_EncodeBlock(b64, mac, static_cast<int>(mac_size));
      const std::string expected =
          "hmac;1;" + std::to_string(ts) + ";" + std::string(reinterpret_cast<char*>(b64), b64_size);
      for (int round = 0; round < 200; ++round) {
        if (SignLegacy(key, ts, body) != expected) ++mismatches;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ParseSigningKey, AcceptsUnpaddedAndUrlSafeBase64AndSurroundingWhitespace) {
  Result<SigningKey> a = ParseSigningKey("c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->bytes, "switchboard-test-key-00000000001");
  Result<SigningKey> b = ParseSigningKey("  c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=\n");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->bytes, a->bytes);
  Result<SigningKey> c = ParseSigningKey("__--__--__--__--__--__--");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->bytes.size(), 18u);
}

TEST(ParseSigningKey, ShortKeysAreWeakButVerify) {
  Result<SigningKey> key = ParseSigningKey("c2hvcnQ=");  // "short"
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(key->bytes, "short");
  EXPECT_LT(key->bytes.size(), kMinStrongKeyBytes);
  const std::string body = R"({"id":"EV1","type":"message.received"})";
  EXPECT_EQ(VerifyLegacy(SignLegacy(*key, kLegacyTs, body), body, {*key}), Verdict::kOk);
}

TEST(ParseSigningKey, ErrorsNeverContainTheKeyText) {
  const std::vector<std::string> bad = {
      "",
      "   ",
      "whsec_",
      "Qx7!Rz9 w#b64",
      "c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=!",
      "whsec_c3dpdGNoYm9hcmQtYmV0YS1zZWNyZXQtMzItYnl0ZXM=%%%",
      "c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE===",
      "c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=c3dp",
      "A",
  };
  for (const std::string& text : bad) {
    Result<SigningKey> key = ParseSigningKey(text);
    ASSERT_FALSE(key.ok()) << text;
    const std::string& message = key.status().message();
    EXPECT_FALSE(message.empty());
    std::string core = text;
    if (core.rfind("whsec_", 0) == 0) core = core.substr(6);
    if (core.size() >= 4) {
      EXPECT_EQ(message.find(core.substr(0, 4)), std::string::npos)
          << "message echoes the key: " << message;
    }
  }
}

TEST(KeyFingerprint, IsShortStableAndNotTheKey) {
  SigningKey key = Key(kLegacyKey);
  std::string fp = KeyFingerprint(key);
  EXPECT_EQ(fp.rfind("legacy:", 0), 0u);
  EXPECT_EQ(fp.size(), 7u + 8u);
  EXPECT_EQ(fp, KeyFingerprint(Key(kLegacyKey)));
  EXPECT_NE(fp, KeyFingerprint(Key(kOtherKey)));
  EXPECT_EQ(KeyFingerprint(Key(kBetaSecret)).rfind("whsec:", 0), 0u);
}

// --- `switchboard send`: a local receiver records the request. ---

struct Received {
  std::mutex mu;
  std::string method, content_type, body;
  SignatureHeaders headers;
};

class RecordingHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RecordingHandler(Received* r) : r_(r) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    {
      std::lock_guard<std::mutex> lock(r_->mu);
      r_->method = req.getMethod();
      r_->content_type = req.getContentType();
      r_->body = body;
      r_->headers.openphone_signature = req.get("openphone-signature", "");
      r_->headers.webhook_id = req.get("webhook-id", "");
      r_->headers.webhook_timestamp = req.get("webhook-timestamp", "");
      r_->headers.webhook_signature = req.get("webhook-signature", "");
    }
    resp.setStatus(req.getURI() == "/fail" ? Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED
                                           : Poco::Net::HTTPResponse::HTTP_OK);
    resp.setContentType("application/json");
    resp.send() << R"({"status":"accepted"})";
  }

 private:
  Received* r_;
};

class RecordingFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RecordingFactory(Received* r) : r_(r) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RecordingHandler(r_);
  }

 private:
  Received* r_;
};

class SendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("OPENPHONE_SIGNING_KEY");
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new RecordingFactory(&received_), socket,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
    event_path_ = std::string(SWITCHBOARD_TEST_DATA) + "/vector-legacy.body.json";
  }
  void TearDown() override { server_->stopAll(true); }

  std::string Url(const std::string& path = "/webhooks/openphone") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  int64_t NowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  Received received_;
  int port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::string event_path_;
};

TEST_F(SendTest, LegacyKeySignsTheRawFileWithTheCurrentTime) {
  ASSERT_EQ(cli::Send({event_path_, "--url", Url(), "--key", kLegacyKey}), cli::kExitOk);
  std::lock_guard<std::mutex> lock(received_.mu);
  EXPECT_EQ(received_.method, "POST");
  EXPECT_EQ(received_.content_type, "application/json");
  EXPECT_EQ(received_.body, ReadData("vector-legacy.body.json"));
  EXPECT_TRUE(received_.headers.webhook_signature.empty());
  std::string reason;
  EXPECT_EQ(
      Verify(received_.headers, received_.body, {Key(kLegacyKey)}, NowMs(), 60 * 1000, &reason),
      Verdict::kOk)
      << reason;
}

TEST_F(SendTest, WhsecKeyUsesStandardWebhooksHeaders) {
  setenv("OPENPHONE_SIGNING_KEY", kBetaSecret, 1);
  ASSERT_EQ(cli::Send({event_path_, "--url=" + Url()}), cli::kExitOk);
  unsetenv("OPENPHONE_SIGNING_KEY");
  std::lock_guard<std::mutex> lock(received_.mu);
  EXPECT_TRUE(received_.headers.openphone_signature.empty());
  EXPECT_EQ(received_.headers.webhook_id.rfind("msg_", 0), 0u);
  std::string reason;
  EXPECT_EQ(
      Verify(received_.headers, received_.body, {Key(kBetaSecret)}, NowMs(), 60 * 1000, &reason),
      Verdict::kOk)
      << reason;
}

// A receiver that answers 413 and closes without reading a huge body: `send`
// prints that answer or says why the body could not be sent - not a bare
// "Broken pipe".
TEST_F(SendTest, BodyRefusedBeforeItIsReadGetsAClearError) {
  Poco::Net::ServerSocket refuser(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::thread server([&refuser] {
    Poco::Net::StreamSocket connection = refuser.acceptConnection();
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      int n = connection.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) break;
      head.append(buffer, static_cast<size_t>(n));
    }
    const std::string answer =
        "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    connection.sendBytes(answer.data(), static_cast<int>(answer.size()));
    connection.close();  // most of the body unread: the peer gets a reset
  });
  const std::string path = ::testing::TempDir() + "switchboard-send-huge.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << "{\"id\":\"EVbig\",\"type\":\"message.received\",\"text\":\""
        << std::string(32 << 20, 'x') << "\"}";
  }
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  int code = cli::Send({path, "--url",
                        "http://127.0.0.1:" + std::to_string(refuser.address().port()) + "/w"});
  std::string out = ::testing::internal::GetCapturedStdout();
  std::string err = ::testing::internal::GetCapturedStderr();
  server.join();
  std::remove(path.c_str());
  EXPECT_EQ(code, cli::kExitFailure);
  EXPECT_TRUE(out.find("HTTP 413") != std::string::npos ||
              err.find("the connection was closed before the whole body (33554") !=
                  std::string::npos)
      << "stdout: " << out << "\nstderr: " << err;
}

TEST_F(SendTest, SendsUnsignedWithoutAKey) {
  ASSERT_EQ(cli::Send({event_path_, "--url", Url()}), cli::kExitOk);
  std::lock_guard<std::mutex> lock(received_.mu);
  EXPECT_EQ(
      Verify(received_.headers, received_.body, {Key(kLegacyKey)}, NowMs(), 60 * 1000, nullptr),
      Verdict::kMissing);
}

// SPEC: 0 on 2xx, 1 otherwise, usage errors included.
TEST_F(SendTest, ExitCodes) {
  EXPECT_EQ(cli::Send({event_path_, "--url", Url("/fail"), "--key", kLegacyKey}),
            cli::kExitFailure);
  EXPECT_EQ(cli::Send({"--help"}), cli::kExitOk);
  EXPECT_EQ(cli::Send({event_path_}), cli::kExitFailure);
  EXPECT_EQ(cli::Send({"--url", Url()}), cli::kExitFailure);
  EXPECT_EQ(cli::Send({event_path_, "--url", "ftp://x"}), cli::kExitFailure);
  EXPECT_EQ(cli::Send({event_path_, "--url", Url(), "--key", "not a key"}), cli::kExitFailure);
  EXPECT_EQ(cli::Send({event_path_, "--url", Url(), "--bogus"}), cli::kExitFailure);
  EXPECT_EQ(cli::Send({"/nonexistent/event.json", "--url", Url(), "--key", kLegacyKey}),
            cli::kExitFailure);
  // Nothing listens on port 1.
  EXPECT_EQ(cli::Send({event_path_, "--url", "http://127.0.0.1:1/", "--key", kLegacyKey}),
            cli::kExitFailure);
}

}  // namespace
}  // namespace server
}  // namespace switchboard
