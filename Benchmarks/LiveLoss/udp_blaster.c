// udp_blaster — the traffic source of the live-loss benchmark (NetScouterBench --only-live).
// The benchmark compiles it with `cc -O2` into bench-data/ and runs it inside a network
// namespace it created; it only ever sends to the address it is given (the peer namespace).
//
//   udp_blaster send DST_IPV4 PORT COUNT RATE BURST
//       Sends COUNT 64-byte UDP datagrams (22-byte payload: 14 + 20 + 8 + 22 = 64-byte frames)
//       with sendmmsg, BURST datagrams back to back per call, bursts started on an absolute
//       schedule so the average is RATE packets/s (0: as fast as possible). Prints
//       "sent=N seconds=S" on stdout.
//   udp_blaster sink PORT
//       Binds 0.0.0.0:PORT and waits for SIGTERM without reading, so datagrams to PORT find a
//       socket (no ICMP port-unreachable replies are generated to pollute the capture).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { PAYLOAD = 22, MAX_BURST = 1024 };

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void sleep_until(long long deadline) {
    struct timespec t = { .tv_sec = deadline / 1000000000LL, .tv_nsec = deadline % 1000000000LL };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {}
}

static int run_send(const char *address, int port, long long count, double rate, int burst) {
    if (burst < 1 || burst > MAX_BURST) { fprintf(stderr, "burst must be 1…%d\n", MAX_BURST); return 2; }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct sockaddr_in destination = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    if (inet_pton(AF_INET, address, &destination.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", address); return 2; }
    if (connect(fd, (struct sockaddr *)&destination, sizeof destination) != 0) { perror("connect"); return 1; }
    // Sleeps of tens of microseconds must not be stretched by the default 50 µs timer slack.
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    static unsigned char payloads[MAX_BURST][PAYLOAD];
    static struct iovec vectors[MAX_BURST];
    static struct mmsghdr messages[MAX_BURST];
    for (int i = 0; i < MAX_BURST; i++) {
        memset(payloads[i], 0x5A, PAYLOAD);
        vectors[i].iov_base = payloads[i];
        vectors[i].iov_len = PAYLOAD;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    long long sent = 0;
    long long started = now_ns();
    double nanoseconds_per_packet = rate > 0 ? 1e9 / rate : 0;
    while (sent < count) {
        if (rate > 0) sleep_until(started + (long long)((double)sent * nanoseconds_per_packet));
        int wanted = (int)(count - sent < burst ? count - sent : burst);
        int offset = 0;
        while (offset < wanted) {
            // A sequence number in each payload makes the datagrams distinct in a capture.
            for (int i = offset; i < wanted; i++) memcpy(payloads[i], &(long long){ sent + i }, sizeof(long long));
            int done = sendmmsg(fd, messages + offset, (unsigned)(wanted - offset), 0);
            if (done < 0) {
                if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) continue;
                perror("sendmmsg");
                return 1;
            }
            offset += done;
        }
        sent += wanted;
    }
    double seconds = (double)(now_ns() - started) / 1e9;
    printf("sent=%lld seconds=%.6f\n", sent, seconds);
    return 0;
}

static volatile sig_atomic_t stop_requested;
static void on_signal(int signal_number) { (void)signal_number; stop_requested = 1; }

static int run_sink(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port), .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) { perror("bind"); return 1; }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("ready\n");
    fflush(stdout);
    while (!stop_requested) pause();
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 7 && strcmp(argv[1], "send") == 0) {
        return run_send(argv[2], atoi(argv[3]), atoll(argv[4]), atof(argv[5]), atoi(argv[6]));
    }
    if (argc == 3 && strcmp(argv[1], "sink") == 0) return run_sink(atoi(argv[2]));
    fprintf(stderr, "usage: %s send DST_IPV4 PORT COUNT RATE BURST | sink PORT\n", argv[0]);
    return 2;
}
