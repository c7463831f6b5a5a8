// Non-blocking SNTP client over rpcWiFi's WiFiUDP. Packet building and validation are in
// src/wio/clock.h (host-tested); this only sends and polls.
#ifndef WIO_HW_NTP_H
#define WIO_HW_NTP_H

#include <Arduino.h>
#include <WiFiUdp.h>
#include <rpcWiFi.h>

#include "config.h"
#include "src/wio/wio.h"

namespace hw {

class NtpClient {
 public:
  enum Status { kIdle = 0, kPending, kDone, kFailed };

  NtpClient()
      : state_(kIdle), sent_ms_(0), token_hi_(0), token_lo_(0), server_(0), udp_open_(false),
        timed_out_(false), last_error_(wio::kNtpOk) {}

  const char* server() const { return server_ == 0 ? WIO_NTP_SERVER_1 : WIO_NTP_SERVER_2; }
  // Why the last attempt failed, for the serial log.
  const char* failure() const { return timed_out_ ? "no answer in time" : wio::ntp_error_name(last_error_); }

  // Sends one request (the DNS lookup inside beginPacket is the only wait). Returns false if
  // it could not even be sent; then the next attempt uses the other server.
  bool start(uint32_t now_ms, uint32_t random_hi, uint32_t random_lo) {
    timed_out_ = false;
    last_error_ = wio::kNtpOk;
    if (!udp_open_) udp_open_ = udp_.begin(kLocalPort) == 1;
    if (!udp_open_) return fail();
    while (udp_.parsePacket() > 0) udp_.flush();  // discard late answers to older requests
    token_hi_ = random_hi;
    token_lo_ = random_lo;
    uint8_t pkt[wio::kNtpPacketSize];
    wio::ntp_build_request(pkt, token_hi_, token_lo_);
    if (udp_.beginPacket(server(), wio::kNtpPort) != 1) return fail();
    udp_.write(pkt, sizeof(pkt));
    if (udp_.endPacket() != 1) return fail();
    sent_ms_ = now_ms;
    state_ = kPending;
    return true;
  }

  // kPending until an answer arrives or the timeout passes. On kDone, *out holds the time
  // at the moment of *at_ms (half the round trip added).
  Status poll(uint32_t now_ms, wio::NtpTime* out, uint32_t* at_ms, uint32_t* rtt_ms) {
    if (state_ != kPending) return state_;
    int n = udp_.parsePacket();
    if (n > 0) {
      uint8_t pkt[wio::kNtpPacketSize];
      int got = n >= static_cast<int>(sizeof(pkt)) ? udp_.read(pkt, sizeof(pkt)) : 0;
      udp_.flush();
      if (got == static_cast<int>(sizeof(pkt))) {
        last_error_ = wio::ntp_parse_response(pkt, sizeof(pkt), token_hi_, token_lo_, out);
        if (last_error_ == wio::kNtpOk) {
          uint32_t rtt = now_ms - sent_ms_;
          out->millis += rtt / 2u;
          *at_ms = now_ms;
          *rtt_ms = rtt;
          state_ = kDone;
          return state_;
        }
        if (last_error_ == wio::kNtpOriginMismatch) return state_;  // stray packet: keep waiting
        fail();
        return state_;
      }
    }
    if (now_ms - sent_ms_ > WIO_NTP_TIMEOUT_MS) {
      timed_out_ = true;
      fail();
    }
    return state_;
  }

  void reset() { state_ = kIdle; }

  // Wi-Fi went away: the socket belongs to the old connection.
  void close() {
    if (udp_open_) udp_.stop();
    udp_open_ = false;
    state_ = kIdle;
  }

 private:
  static const uint16_t kLocalPort = 4123;

  bool fail() {
    state_ = kFailed;
    server_ ^= 1u;
    return false;
  }

  WiFiUDP udp_;
  Status state_;
  uint32_t sent_ms_;
  uint32_t token_hi_;
  uint32_t token_lo_;
  uint8_t server_;
  bool udp_open_;
  bool timed_out_;
  wio::NtpError last_error_;
};

}  // namespace hw

#endif  // WIO_HW_NTP_H
