// Compile-check fake of Seeed_Arduino_rpcWiFi's WiFi object (WiFiSTA/WiFiGeneric API).
#ifndef FAKE_RPCWIFI_H
#define FAKE_RPCWIFI_H
#include "Arduino.h"
typedef enum {
  WL_NO_SHIELD = 255,
  WL_IDLE_STATUS = 0,
  WL_NO_SSID_AVAIL = 1,
  WL_SCAN_COMPLETED = 2,
  WL_CONNECTED = 3,
  WL_CONNECT_FAILED = 4,
  WL_CONNECTION_LOST = 5,
  WL_DISCONNECTED = 6
} wl_status_t;
typedef enum { WIFI_MODE_NULL = 0, WIFI_MODE_STA, WIFI_MODE_AP, WIFI_MODE_APSTA, WIFI_MODE_MAX } wifi_mode_t;
#define WIFI_STA WIFI_MODE_STA
class WiFiClass {
 public:
  bool mode(wifi_mode_t);
  wl_status_t begin(const char* ssid, const char* passphrase = NULL, int32_t channel = 0,
                    const uint8_t* bssid = NULL, bool connect = true);
  wl_status_t begin(const char* ssid, char* passphrase, int32_t channel = 0, const uint8_t* bssid = NULL,
                    bool connect = true);
  bool disconnect(bool wifioff = false, bool eraseap = false);
  static wl_status_t status();
  int8_t RSSI();
  IPAddress localIP();
};
extern WiFiClass WiFi;
// From Seeed_Arduino_rpcUnified (erpc/rpc_system.h), reached through the rpcWiFi headers.
extern "C" char* rpc_system_version(void);
#endif
