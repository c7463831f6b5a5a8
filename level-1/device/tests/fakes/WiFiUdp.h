// Compile-check fake of Seeed_Arduino_rpcWiFi's WiFiUDP.
#ifndef FAKE_WIFIUDP_H
#define FAKE_WIFIUDP_H
#include "Arduino.h"
class WiFiUDP {
 public:
  uint8_t begin(uint16_t p);
  void stop();
  int beginPacket(const char* host, uint16_t port);
  int endPacket();
  size_t write(uint8_t);
  size_t write(const uint8_t* buffer, size_t size);
  int parsePacket();
  int available();
  int read();
  int read(unsigned char* buffer, size_t len);
  int read(char* buffer, size_t len);
  void flush();
};
#endif
