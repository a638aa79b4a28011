/* xsmc body of the MQTT face (native/xs/mqtt/mqtt.ts) in the simulator: an MQTT 3.1.1 client
 * from libmosquitto (Debian libmosquitto-dev), nothing of our own on the wire. No thread: JS
 * calls poll() from a timer (the simulator runs with --realtime), which runs one non-blocking
 * mosquitto_loop, reconnects after a lost connection, and queues arrived messages here until
 * next() hands them to JS on the XS thread. The session is persistent (clean session off, a
 * fixed client id), so the broker keeps subscriptions and QoS 1 messages across a reconnect.
 * This is simulator platform code: the queue lives on the C heap (malloc), not in the engine. */
#include "xsmc.h"
#include <mosquitto.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct MqttMessage {
	struct MqttMessage* next;
	char* topic;
	uint32_t length;
	uint8_t payload[];
} MqttMessage;

typedef struct {
	struct mosquitto* mosq;
	MqttMessage* head;
	MqttMessage* tail;
	uint32_t maxPayload;
	uint32_t dropped;        /* messages over maxPayload, reported by poll() */
	int connected;
	int reconnected;         /* set by the connect callback after a reconnect; poll() reports it once */
	int everConnected;
	double nextAttempt;      /* ms (monotonic) of the next reconnect attempt */
} MqttClient;

static int gLibReady;

static double nowMs(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static void freeQueue(MqttClient* c)
{
	while (c->head) {
		MqttMessage* m = c->head;
		c->head = m->next;
		free(m->topic);
		free(m);
	}
	c->tail = NULL;
}

void xs_mqtt_destructor(void* data)
{
	MqttClient* c = data;
	if (c == NULL)
		return;
	if (c->mosq) {
		mosquitto_disconnect(c->mosq);
		mosquitto_destroy(c->mosq);
	}
	freeQueue(c);
	free(c);
}

static void onConnect(struct mosquitto* mosq, void* user, int rc)
{
	MqttClient* c = user;
	if (rc != 0)
		return;
	/* Also the first CONNACK: what was subscribed or published before it is sent now. */
	c->reconnected = 1;
	c->everConnected = 1;
	c->connected = 1;
}

static void onDisconnect(struct mosquitto* mosq, void* user, int rc)
{
	MqttClient* c = user;
	c->connected = 0;
}

static void onMessage(struct mosquitto* mosq, void* user, const struct mosquitto_message* msg)
{
	MqttClient* c = user;
	MqttMessage* m;
	size_t topicBytes;
	if (msg->payloadlen < 0 || (uint32_t)msg->payloadlen > c->maxPayload) {
		c->dropped++;
		return;
	}
	topicBytes = strlen(msg->topic) + 1;
	m = malloc(sizeof(MqttMessage) + (size_t)msg->payloadlen);
	if (m == NULL) {
		c->dropped++;
		return;
	}
	m->topic = malloc(topicBytes);
	if (m->topic == NULL) {
		free(m);
		c->dropped++;
		return;
	}
	memcpy(m->topic, msg->topic, topicBytes);
	m->length = (uint32_t)msg->payloadlen;
	if (msg->payloadlen > 0)
		memcpy(m->payload, msg->payload, (size_t)msg->payloadlen);
	m->next = NULL;
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
}

static MqttClient* clientOf(xsMachine* the)
{
	MqttClient* c = xsmcGetHostData(xsThis);
	if (c == NULL || c->mosq == NULL)
		xsUnknownError("mqtt: client closed");
	return c;
}

static void needArgs(xsMachine* the, int count, const char* usage)
{
	if (xsmcArgc < count)
		xsTypeError("mqtt: %s needs %d argument%s, got %d", usage, count, count == 1 ? "" : "s", (int)xsmcArgc);
}

/* new MqttClient(host, port, clientId, keepaliveSeconds, maxPayload): connects (blocking, once). */
void xs_mqtt(xsMachine* the)
{
	char host[128], id[64];
	int port, keepalive, rc;
	double maxPayload;
	MqttClient* c;
	needArgs(the, 5, "new MqttClient(host, port, clientId, keepalive, maxPayload)");
	xsmcToStringBuffer(xsArg(0), host, sizeof(host));
	port = xsmcToInteger(xsArg(1));
	xsmcToStringBuffer(xsArg(2), id, sizeof(id));
	keepalive = xsmcToInteger(xsArg(3));
	maxPayload = xsmcToNumber(xsArg(4));
	if (port < 1 || port > 65535)
		xsRangeError("mqtt: port %d outside 1..65535", port);
	if (keepalive < 5 || keepalive > 65535)
		xsRangeError("mqtt: keepalive %d s outside 5..65535", keepalive);
	if (!(maxPayload >= 1 && maxPayload <= 268435455))
		xsRangeError("mqtt: maxPayload outside 1..268435455");
	if (!id[0])
		xsRangeError("mqtt: empty client id");
	if (!gLibReady) {
		mosquitto_lib_init();
		gLibReady = 1;
	}
	c = calloc(1, sizeof(MqttClient));
	if (c == NULL)
		xsUnknownError("mqtt: out of memory");
	c->maxPayload = (uint32_t)maxPayload;
	c->nextAttempt = nowMs() + 1000; /* the first CONNACK is still on its way */
	c->mosq = mosquitto_new(id, false, c);
	if (c->mosq == NULL) {
		free(c);
		xsUnknownError("mqtt: mosquitto_new failed");
	}
	mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_connect_callback_set(c->mosq, onConnect);
	mosquitto_disconnect_callback_set(c->mosq, onDisconnect);
	mosquitto_message_callback_set(c->mosq, onMessage);
	rc = mosquitto_connect(c->mosq, host, port, keepalive);
	if (rc != MOSQ_ERR_SUCCESS) {
		const char* why = rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
		xs_mqtt_destructor(c);
		xsUnknownError("mqtt: broker %s:%d unreachable: %s", host, port, why);
	}
	xsmcSetHostData(xsThis, c);
}

void xs_mqtt_close(xsMachine* the)
{
	MqttClient* c = xsmcGetHostData(xsThis);
	if (c == NULL)
		return;
	xsmcSetHostData(xsThis, NULL);
	xs_mqtt_destructor(c);
}

/* publish(topic, payload, qos, retain) -> true when queued to libmosquitto, false when offline. */
void xs_mqtt_publish(xsMachine* the)
{
	MqttClient* c = clientOf(the);
	char topic[256];
	void* data;
	xsUnsignedValue length;
	int qos, rc;
	needArgs(the, 4, "publish(topic, payload, qos, retain)");
	xsmcToStringBuffer(xsArg(0), topic, sizeof(topic));
	xsmcGetBufferReadable(xsArg(1), &data, &length);
	qos = xsmcToInteger(xsArg(2));
	if (qos != 0 && qos != 1)
		xsRangeError("mqtt: qos %d, 0 or 1 supported", qos);
	if (length > c->maxPayload)
		xsRangeError("mqtt: payload of %u bytes over this board's limit of %u", (unsigned)length, (unsigned)c->maxPayload);
	if (!c->connected) {
		xsmcSetBoolean(xsResult, 0);
		return;
	}
	rc = mosquitto_publish(c->mosq, NULL, topic, (int)length, data, qos, xsmcTest(xsArg(3)));
	if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) {
		c->connected = 0;
		xsmcSetBoolean(xsResult, 0);
		return;
	}
	if (rc != MOSQ_ERR_SUCCESS)
		xsUnknownError("mqtt: publish to %s: %s", topic, mosquitto_strerror(rc));
	xsmcSetBoolean(xsResult, 1);
}

static void subscription(xsMachine* the, int subscribe)
{
	MqttClient* c = clientOf(the);
	char filter[256];
	int rc;
	needArgs(the, 1, subscribe ? "subscribe(filter)" : "unsubscribe(filter)");
	xsmcToStringBuffer(xsArg(0), filter, sizeof(filter));
	if (!c->connected) {
		xsmcSetBoolean(xsResult, 0);
		return;
	}
	rc = subscribe ? mosquitto_subscribe(c->mosq, NULL, filter, 1) : mosquitto_unsubscribe(c->mosq, NULL, filter);
	if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) {
		c->connected = 0;
		xsmcSetBoolean(xsResult, 0);
		return;
	}
	if (rc != MOSQ_ERR_SUCCESS)
		xsUnknownError("mqtt: %s %s: %s", subscribe ? "subscribe" : "unsubscribe", filter, mosquitto_strerror(rc));
	xsmcSetBoolean(xsResult, 1);
}

void xs_mqtt_subscribe(xsMachine* the)
{
	subscription(the, 1);
}

void xs_mqtt_unsubscribe(xsMachine* the)
{
	subscription(the, 0);
}

/* poll() -> 0 connected, 1 offline (reconnecting), 2 connected (first CONNACK or again) since the
 * last poll: JS then (re)subscribes, so retained messages are sent again, and sends what waited;
 * arrived messages wait for next(). */
void xs_mqtt_poll(xsMachine* the)
{
	MqttClient* c = clientOf(the);
	int rc = mosquitto_loop(c->mosq, 0, 1);
	if (rc != MOSQ_ERR_SUCCESS)
		c->connected = 0;
	if (!c->connected && nowMs() >= c->nextAttempt) {
		c->nextAttempt = nowMs() + 250;
		if (mosquitto_reconnect(c->mosq) == MOSQ_ERR_SUCCESS)
			mosquitto_loop(c->mosq, 0, 1); /* read the CONNACK if it is already there */
	}
	if (c->connected && c->reconnected) {
		c->reconnected = 0;
		xsmcSetInteger(xsResult, 2);
		return;
	}
	xsmcSetInteger(xsResult, c->connected ? 0 : 1);
}

/* dropped() -> messages refused (over maxPayload) since the last call. */
void xs_mqtt_dropped(xsMachine* the)
{
	MqttClient* c = clientOf(the);
	xsmcSetInteger(xsResult, (xsIntegerValue)c->dropped);
	c->dropped = 0;
}

/* next() -> [topic, ArrayBuffer] of the oldest queued message, or undefined. */
void xs_mqtt_next(xsMachine* the)
{
	MqttClient* c = clientOf(the);
	MqttMessage* m = c->head;
	if (m == NULL)
		return;
	c->head = m->next;
	if (c->head == NULL)
		c->tail = NULL;
	xsmcVars(2);
	xsmcSetNewArray(xsResult, 2);
	xsmcSetString(xsVar(0), m->topic);
	xsmcSetArrayBuffer(xsVar(1), m->payload, m->length);
	free(m->topic);
	free(m);
	xsmcSetIndex(xsResult, 0, xsVar(0));
	xsmcSetIndex(xsResult, 1, xsVar(1));
}
