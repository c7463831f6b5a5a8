// Compile-check fake of Seeed_Arduino_rpcWiFi's WiFiClientSecure.
#ifndef FAKE_WIFICLIENTSECURE_H
#define FAKE_WIFICLIENTSECURE_H
#include "rpcWiFi.h"
class WiFiClient : public Client {
 public:
  int connect(IPAddress ip, uint16_t port);
  int connect(const char* host, uint16_t port);
  size_t write(uint8_t);
  size_t write(const uint8_t* buf, size_t size);
  int available();
  int read();
  int read(uint8_t* buf, size_t size);
  int peek();
  void flush();
  void stop();
  uint8_t connected();
  operator bool();
};
class WiFiClientSecure : public WiFiClient {
 public:
  WiFiClientSecure();
  int connect(IPAddress ip, uint16_t port);
  int connect(IPAddress ip, uint16_t port, int32_t timeout);
  int connect(const char* host, uint16_t port);
  int connect(const char* host, uint16_t port, int32_t timeout);
  int connect(IPAddress ip, uint16_t port, const char* rootCABuff, const char* cli_cert, const char* cli_key);
  int connect(const char* host, uint16_t port, const char* rootCABuff, const char* cli_cert, const char* cli_key);
  int connect(const char* host, uint16_t port, const char* pskIdent, const char* psKey);
  void stop();
  uint8_t connected();
  int lastError(char* buf, const size_t size);
  void setCACert(const char* rootCA);
  void setCertificate(const char* client_ca);
  void setPrivateKey(const char* private_key);
  void setHandshakeTimeout(unsigned long handshake_timeout);
};
#endif
