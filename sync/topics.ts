/** MQTT topics of one gateway: `<prefix>/<gatewayId>/readings|events|status|commands|commands/result`. */
export function mqttTopics(prefix: string, gatewayId: string) {
  const base = `${prefix}/${gatewayId}`;
  return {
    readings: `${base}/readings`,
    events: `${base}/events`,
    status: `${base}/status`,
    /** EMS → gateway (subscribed only with control.allowEms) */
    commands: `${base}/commands`,
    /** gateway → EMS: one answer per command */
    commandResults: `${base}/commands/result`,
  };
}
