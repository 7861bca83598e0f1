#ifndef NETSCOUTER_CSCAN_SHIM_H
#define NETSCOUTER_CSCAN_SHIM_H
// What the Scan module cannot reach from Glibc alone: setns (declared only under _GNU_SOURCE,
// which would make these headers differ from Glibc's module), sockaddr_ll (netpacket/packet.h),
// and epoll_event, which is a packed struct on x86-64 and so is read and written here rather than
// field by field from Swift.
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <net/if.h>

extern int setns(int fd, int nstype);
/// CLONE_NEWNET from <sched.h>.
static inline int ns_setns_net(int fd) { return setns(fd, 0x40000000); }

static inline int ns_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = token;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

static inline int ns_epoll_del(int epfd, int fd) {
    struct epoll_event event = {0};
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &event);
}

/// Waits for up to `capacity` events; their tokens and event masks land in the two arrays.
static inline int ns_epoll_wait(int epfd, uint64_t *tokens, uint32_t *masks, int capacity, int timeout_ms) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, events, capacity, timeout_ms);
    for (int i = 0; i < count; i++) {
        tokens[i] = events[i].data.u64;
        masks[i] = events[i].events;
    }
    return count;
}

static inline uint32_t ns_epollout(void) { return EPOLLOUT; }
static inline uint32_t ns_epollin(void) { return EPOLLIN; }
static inline uint32_t ns_epollerr(void) { return EPOLLERR; }
static inline uint32_t ns_epollhup(void) { return EPOLLHUP; }
static inline uint32_t ns_epollrdhup(void) { return EPOLLRDHUP; }
#endif
