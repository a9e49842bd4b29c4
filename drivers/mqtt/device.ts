/** An MQTT device after load: the common fields and the driver's own (point.ts). */
import type { CommonDeviceFields } from '../../core/device.js';
import type { MqttDeviceSettings } from './point.js';

export interface MqttDeviceConfig extends CommonDeviceFields, MqttDeviceSettings {}
