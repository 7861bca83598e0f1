#ifndef NETSCOUTER_CFIREWALL_SHIM_H
#define NETSCOUTER_CFIREWALL_SHIM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <linux/capability.h>

/// prctl is variadic (not callable from Swift). Raises CAP_NET_ADMIN into the ambient set so
/// the `nft` / `ipset` children of a setcap'd (non-root) netscouter keep it across exec.
/// Returns 0 on success, -1 with errno when the capability is not permitted and inheritable.
static inline int firewall_raise_ambient_net_admin(void) {
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0);
}

/// pipe2 needs _GNU_SOURCE: both ends close-on-exec atomically, so a child spawned by another
/// thread at the same moment cannot inherit them.
static inline int firewall_pipe_cloexec(int descriptors[2]) {
    return pipe2(descriptors, O_CLOEXEC);
}

#endif
