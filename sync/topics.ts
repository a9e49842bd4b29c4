/** MQTT topics of one gateway: `<prefix>/<gatewayId>/readings|events|status`. */
export function mqttTopics(prefix: string, gatewayId: string) {
  const base = `${prefix}/${gatewayId}`;
  return { readings: `${base}/readings`, events: `${base}/events`, status: `${base}/status` };
}
