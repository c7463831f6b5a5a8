// Compile-check fake of 256dpi/arduino-mqtt 2.5 (MQTTClient).
#ifndef FAKE_MQTT_H
#define FAKE_MQTT_H
#include "Arduino.h"
typedef enum {
  LWMQTT_SUCCESS = 0,
  LWMQTT_BUFFER_TOO_SHORT = -1,
  LWMQTT_VARNUM_OVERFLOW = -2,
  LWMQTT_NETWORK_FAILED_CONNECT = -3,
  LWMQTT_NETWORK_TIMEOUT = -4,
  LWMQTT_NETWORK_FAILED_READ = -5,
  LWMQTT_NETWORK_FAILED_WRITE = -6,
  LWMQTT_REMAINING_LENGTH_OVERFLOW = -7,
  LWMQTT_REMAINING_LENGTH_MISMATCH = -8,
  LWMQTT_MISSING_OR_WRONG_PACKET = -9,
  LWMQTT_CONNECTION_DENIED = -10,
  LWMQTT_FAILED_SUBSCRIPTION = -11,
  LWMQTT_SUBACK_ARRAY_OVERFLOW = -12,
  LWMQTT_PONG_TIMEOUT = -13,
} lwmqtt_err_t;
typedef enum {
  LWMQTT_CONNECTION_ACCEPTED = 0,
  LWMQTT_UNACCEPTABLE_PROTOCOL = 1,
  LWMQTT_IDENTIFIER_REJECTED = 2,
  LWMQTT_SERVER_UNAVAILABLE = 3,
  LWMQTT_BAD_USERNAME_OR_PASSWORD = 4,
  LWMQTT_NOT_AUTHORIZED = 5,
  LWMQTT_UNKNOWN_RETURN_CODE = 6
} lwmqtt_return_code_t;
class MQTTClient;
typedef void (*MQTTClientCallbackAdvanced)(MQTTClient* client, char topic[], char bytes[], int length);
class MQTTClient {
 public:
  explicit MQTTClient(int bufSize = 128);
  MQTTClient(int readBufSize, int writeBufSize);
  void begin(Client& client);
  void begin(const char hostname[], int port, Client& client);
  void setKeepAlive(int keepAlive);
  void setCleanSession(bool cleanSession);
  void setTimeout(int timeout);
  void setOptions(int keepAlive, bool cleanSession, int timeout);
  bool connect(const char clientID[], bool skip = false);
  bool connect(const char clientID[], const char username[], bool skip = false);
  bool connect(const char clientID[], const char username[], const char password[], bool skip = false);
  bool publish(const char topic[], const char payload[], int length, bool retained, int qos);
  bool subscribe(const char topic[], int qos);
  void onMessageAdvanced(MQTTClientCallbackAdvanced cb);
  bool loop();
  bool connected();
  bool disconnect();
  lwmqtt_err_t lastError();
  lwmqtt_return_code_t returnCode();
};
#endif
