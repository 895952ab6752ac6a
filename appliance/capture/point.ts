/**
 * DeepFlow's `observation_point` values (formerly tap_side) that a capture point on a packet
 * broker can represent: where on the path between client and server the tapped link sits.
 * The process (`c-p`, `s-p`) and application (`c-app`, `s-app`, `app`) values belong to eBPF and
 * OTel data, never to a tap port.
 */
export const OBSERVATION_POINTS = [
  "c",
  "c-nd",
  "c-hv",
  "c-gw-hv",
  "c-gw",
  "local",
  "rest",
  "s-gw",
  "s-gw-hv",
  "s-hv",
  "s-nd",
  "s",
] as const;
export type ObservationPoint = typeof OBSERVATION_POINTS[number];

/** `capture_network_type` (DeepFlow `tap_type`) 3: the cloud network; 1–255 otherwise name IDC locations. */
export const CLOUD_NETWORK = 3;

/** One interface of the appliance and what its traffic stands for. */
export interface CapturePoint {
  /** Interface name, e.g. `eth2`. */
  interface: string;
  /** Where the tapped link sits; `rest` ("other NIC") when nobody said. */
  observationPoint: ObservationPoint;
  /** The network location (1–255; {@link CLOUD_NETWORK} by default). */
  captureNetworkType: number;
}

export function isObservationPoint(text: string): text is ObservationPoint {
  return (OBSERVATION_POINTS as readonly string[]).includes(text);
}

/** Fills a capture point's defaults; lists every problem (empty when it is valid). */
export function capturePoint(
  interfaceName: string,
  options: { observationPoint?: string; captureNetworkType?: number } = {},
): { point: CapturePoint; problems: string[] } {
  const problems: string[] = [];
  // IFNAMSIZ is 16 with the NUL; '/' and whitespace cannot appear in a Linux interface name.
  if (interfaceName.length === 0 || interfaceName.length > 15 || /[\s/]/.test(interfaceName)) {
    problems.push(`interface: not an interface name: ${JSON.stringify(interfaceName)}`);
  }
  const observationPoint = options.observationPoint ?? "rest";
  if (!isObservationPoint(observationPoint)) {
    problems.push(
      `observation point: expected one of ${OBSERVATION_POINTS.join(", ")}, got ${
        JSON.stringify(observationPoint)
      }`,
    );
  }
  const captureNetworkType = options.captureNetworkType ?? CLOUD_NETWORK;
  if (!Number.isInteger(captureNetworkType) || captureNetworkType < 1 || captureNetworkType > 255) {
    problems.push(`capture network type: expected 1 to 255, got ${captureNetworkType}`);
  }
  return {
    point: {
      interface: interfaceName,
      observationPoint: observationPoint as ObservationPoint,
      captureNetworkType,
    },
    problems,
  };
}
