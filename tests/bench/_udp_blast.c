/*
 * The distribution bench's ceiling and receiver. `send` writes COUNT prebuilt UDP payloads of
 * SIZE bytes to 127.0.0.1:PORT with sendmmsg() (64 a call) from a connected socket: what a C
 * program gets through the same loopback path the appliance's VXLAN sender uses. `recv` reads
 * with recvmmsg() for SECONDS (so the receive side costs a core, as a real receiver would).
 *
 *   _udp_blast send PORT SIZE COUNT    prints {"sent":N,"elapsedMs":X}
 *   _udp_blast recv PORT SECONDS       prints {"received":N}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64
#define MAX_SIZE 9000

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static unsigned char buffers[BATCH][MAX_SIZE];

int main(int argc, char **argv) {
  if (argc != 5 && argc != 4) {
    fprintf(stderr, "usage: %s send PORT SIZE COUNT | recv PORT SECONDS\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[2]);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return perror("socket"), 1;
  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  memset(msgs, 0, sizeof msgs);
  if (strcmp(argv[1], "recv") == 0) {
    int size = 1 << 22;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return perror("bind"), 1;
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (int i = 0; i < BATCH; i++) {
      iovs[i].iov_base = buffers[i];
      iovs[i].iov_len = MAX_SIZE;
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    printf("{\"ready\":true}\n");
    fflush(stdout);
    double end = now_ms() + atof(argv[3]) * 1e3;
    long received = 0;
    while (now_ms() < end) {
      int n = recvmmsg(fd, msgs, BATCH, 0, NULL);
      if (n > 0) received += n;
    }
    printf("{\"received\":%ld}\n", received);
    return 0;
  }
  int size = atoi(argv[3]);
  long count = atol(argv[4]);
  if (size < 8 || size > MAX_SIZE) return fprintf(stderr, "bad size\n"), 2;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return perror("connect"), 1;
  for (int i = 0; i < BATCH; i++) {
    memset(buffers[i], i, (size_t)size);
    buffers[i][0] = 0x08;
    iovs[i].iov_base = buffers[i];
    iovs[i].iov_len = (size_t)size;
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  long sent = 0;
  double start = now_ms();
  while (sent < count) {
    int n = sendmmsg(fd, msgs, BATCH, MSG_DONTWAIT);
    if (n > 0) sent += n;
    else sent++; /* counted as an error by the appliance too: go on */
  }
  printf("{\"sent\":%ld,\"elapsedMs\":%.3f}\n", sent, now_ms() - start);
  return 0;
}
