#ifndef NETSCOUTER_CFIREWALL_SHIM_H
#define NETSCOUTER_CFIREWALL_SHIM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

/// prctl is variadic and capget/capset have no libc wrapper (not callable from Swift).
/// Capabilities are per thread: the spawning thread raises CAP_NET_ADMIN into its ambient set
/// just for posix_spawn, so that one `nft` / `ipset` child of a setcap'd (non-root) netscouter
/// keeps it across exec, then lowers it again; no other child of the window or the daemon
/// inherits it. A raise needs the capability permitted and inheritable; exec of a setcap'd file
/// does not make it inheritable (the file's `i` only masks), so it is added here from the
/// permitted set. `*added` tells `firewall_lower_ambient_net_admin` to take it out again.
/// Returns 0 on success, -1 with errno when the capability is not permitted.
static inline int firewall_set_inheritable_net_admin(int on, int *changed) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    unsigned int bit = 1u << CAP_NET_ADMIN;
    *changed = on ? !(data[0].inheritable & bit) : !!(data[0].inheritable & bit);
    if (!*changed) return 0;
    if (on) data[0].inheritable |= bit; else data[0].inheritable &= ~bit;
    return (int)syscall(SYS_capset, &header, data);
}

static inline int firewall_raise_ambient_net_admin(int *addedInheritable) {
    *addedInheritable = 0;
    if (firewall_set_inheritable_net_admin(1, addedInheritable) != 0) return -1;
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0);
}

static inline void firewall_lower_ambient_net_admin(int addedInheritable) {
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_ADMIN, 0, 0);
    int changed = 0;
    if (addedInheritable) firewall_set_inheritable_net_admin(0, &changed);
}

/// 1 when this thread's ambient set already holds CAP_NET_ADMIN (inherited: left alone).
static inline int firewall_ambient_net_admin_is_set(void) {
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0, 0);
}

/// pipe2 needs _GNU_SOURCE: both ends close-on-exec atomically, so a child spawned by another
/// thread at the same moment cannot inherit them.
static inline int firewall_pipe_cloexec(int descriptors[2]) {
    return pipe2(descriptors, O_CLOEXEC);
}

/// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+, a GNU extension the Glibc module
/// does not show), bound by its symbol name: including <spawn.h> here with _GNU_SOURCE would
/// give this module a `fd_set` that clashes with Dispatch's. `actions` is a
/// posix_spawn_file_actions_t *.
extern int firewall_spawn_close_from(void *actions, int low) __asm__("posix_spawn_file_actions_addclosefrom_np");

#endif
