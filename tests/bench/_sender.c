/*
 * The live-capture bench's fast sender: prebuilt Ethernet/IPv4/UDP frames written to an
 * AF_PACKET socket with sendmmsg() (64 frames a call) and PACKET_QDISC_BYPASS, paced to a
 * target rate on CLOCK_MONOTONIC. No UDP/IP stack, no qdisc: the sender is no longer what
 * limits the rate. live_capture_bench.ts compiles it with `cc -O2` when a C compiler exists.
 *
 *   _sender IFNAME DST_MAC SRC_IP DST_IP BASE_PORT PORTS RATE SECONDS PAYLOAD
 *
 * Prints {"sent":N,"elapsedMs":X} on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64
#define MAX_PORTS 1024
#define MAX_PAYLOAD 1458

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* RFC 1071 Internet checksum of an IPv4 header. */
static uint16_t checksum(const uint8_t *p, int n) {
  uint32_t sum = 0;
  for (int i = 0; i < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static int parse_mac(const char *text, uint8_t *mac) {
  unsigned v[6];
  if (sscanf(text, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) mac[i] = (uint8_t)v[i];
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: %s IFNAME DST_MAC SRC_IP DST_IP BASE_PORT PORTS RATE SECONDS PAYLOAD\n",
            argv[0]);
    return 2;
  }
  uint8_t dst_mac[6];
  struct in_addr src_ip, dst_ip;
  int base_port = atoi(argv[5]);
  int ports = atoi(argv[6]);
  double rate = atof(argv[7]);
  double seconds = atof(argv[8]);
  int payload = atoi(argv[9]);
  if (parse_mac(argv[2], dst_mac) < 0 || inet_pton(AF_INET, argv[3], &src_ip) != 1 ||
      inet_pton(AF_INET, argv[4], &dst_ip) != 1 || ports < 1 || ports > MAX_PORTS ||
      rate <= 0 || seconds <= 0 || payload < 0 || payload > MAX_PAYLOAD) {
    fprintf(stderr, "_sender: bad arguments\n");
    return 2;
  }
  unsigned ifindex = if_nametoindex(argv[1]);
  if (ifindex == 0) {
    perror("_sender: if_nametoindex");
    return 1;
  }
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    perror("_sender: socket");
    return 1;
  }
  int one = 1;
  /* Straight to the driver: best effort, the sender works without it. */
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  struct sockaddr_ll to = {0};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = (int)ifindex;
  to.sll_halen = 6;
  memcpy(to.sll_addr, dst_mac, 6);

  /* One frame per destination port: Ethernet, IPv4 (20 bytes), UDP (8 bytes), payload. */
  int frame_len = 14 + 20 + 8 + payload;
  static uint8_t frames[MAX_PORTS][14 + 20 + 8 + MAX_PAYLOAD];
  const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0x01, 0x01};
  for (int i = 0; i < ports; i++) {
    uint8_t *f = frames[i];
    memcpy(f, dst_mac, 6);
    memcpy(f + 6, src_mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14;
    int ip_len = 20 + 8 + payload;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(ip_len >> 8);
    ip[3] = (uint8_t)ip_len;
    ip[6] = 0x40; /* DF */
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, &src_ip, 4);
    memcpy(ip + 16, &dst_ip, 4);
    uint16_t sum = checksum(ip, 20);
    ip[10] = (uint8_t)(sum >> 8);
    ip[11] = (uint8_t)sum;
    uint8_t *udp = ip + 20;
    int sport = base_port, dport = base_port + i;
    udp[0] = (uint8_t)(sport >> 8);
    udp[1] = (uint8_t)sport;
    udp[2] = (uint8_t)(dport >> 8);
    udp[3] = (uint8_t)dport;
    udp[4] = (uint8_t)((8 + payload) >> 8);
    udp[5] = (uint8_t)(8 + payload);
    memset(udp + 8, 0x5a, (size_t)payload);
  }
  struct iovec iov[BATCH];
  struct mmsghdr messages[BATCH];
  memset(messages, 0, sizeof messages);

  long total = (long)(rate * seconds);
  long sent = 0;
  double started = now_ms();
  while (sent < total) {
    long due = (long)((now_ms() - started) * rate / 1000);
    if (due > total) due = total;
    if (sent >= due) continue; /* ahead of schedule: spin (a sleep oversleeps) */
    int n = (int)(due - sent < BATCH ? due - sent : BATCH);
    for (int i = 0; i < n; i++) {
      iov[i].iov_base = frames[(sent + i) % ports];
      iov[i].iov_len = (size_t)frame_len;
      messages[i].msg_hdr.msg_name = &to;
      messages[i].msg_hdr.msg_namelen = sizeof to;
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    int done = sendmmsg(fd, messages, (unsigned)n, 0);
    if (done < 0) {
      perror("_sender: sendmmsg");
      return 1;
    }
    sent += done;
  }
  double elapsed = now_ms() - started;
  printf("{\"sent\":%ld,\"elapsedMs\":%.3f}\n", sent, elapsed);
  return 0;
}
