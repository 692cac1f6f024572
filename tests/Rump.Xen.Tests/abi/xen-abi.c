/* Prints sizes, offsets and constants of the Xen public ABI (x86_64) for Rump.Xen.Tests.AbiTests.
   Built with: gcc -D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__ (headers: libxen-dev). */
#include <errno.h> /* xs_wire.h defines xsd_errors[] only when EINVAL is known */
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/event_channel.h>
#include <xen/io/ring.h>
#include <xen/io/blkif.h>
#include <xen/io/xs_wire.h>
#include <xen/io/console.h>
#include <xen/io/xenbus.h>

#define P(n, v) printf("%s %ld\n", n, (long)(v))
#define O(s, f) P(#s "." #f, offsetof(struct s, f))
#define S(s) P(#s ".size", sizeof(struct s))
#define C(c) P(#c, c)

int main(void)
{
    S(blkif_request); O(blkif_request, operation); O(blkif_request, nr_segments); O(blkif_request, handle);
    O(blkif_request, id); O(blkif_request, sector_number); O(blkif_request, seg);
    S(blkif_request_segment); O(blkif_request_segment, gref); O(blkif_request_segment, first_sect); O(blkif_request_segment, last_sect);
    S(blkif_response); O(blkif_response, id); O(blkif_response, operation); O(blkif_response, status);
    C(BLKIF_MAX_SEGMENTS_PER_REQUEST); C(BLKIF_OP_READ); C(BLKIF_OP_WRITE); C(BLKIF_OP_WRITE_BARRIER); C(BLKIF_OP_FLUSH_DISKCACHE);
    C(BLKIF_RSP_OKAY); C(BLKIF_RSP_ERROR); C(BLKIF_RSP_EOPNOTSUPP); C(VDISK_READONLY);
    P("blkif_sring.size_header", offsetof(struct blkif_sring, ring));
    O(blkif_sring, req_prod); O(blkif_sring, req_event); O(blkif_sring, rsp_prod); O(blkif_sring, rsp_event);
    P("blkif_sring.entry", sizeof(union blkif_sring_entry));
    P("BLK_RING_SIZE", __CONST_RING_SIZE(blkif, 4096));

    S(xsd_sockmsg); O(xsd_sockmsg, type); O(xsd_sockmsg, req_id); O(xsd_sockmsg, tx_id); O(xsd_sockmsg, len);
    C(XENSTORE_RING_SIZE); C(XENSTORE_PAYLOAD_MAX); C(XENSTORE_ABS_PATH_MAX); C(XENSTORE_REL_PATH_MAX); C(XENSTORE_SERVER_FEATURE_ERROR);
    O(xenstore_domain_interface, req); O(xenstore_domain_interface, rsp); O(xenstore_domain_interface, req_cons);
    O(xenstore_domain_interface, req_prod); O(xenstore_domain_interface, rsp_cons); O(xenstore_domain_interface, rsp_prod);
    O(xenstore_domain_interface, server_features); O(xenstore_domain_interface, connection); O(xenstore_domain_interface, error);
    C(XS_CONTROL); C(XS_DIRECTORY); C(XS_READ); C(XS_GET_PERMS); C(XS_WATCH); C(XS_UNWATCH); C(XS_TRANSACTION_START);
    C(XS_TRANSACTION_END); C(XS_INTRODUCE); C(XS_RELEASE); C(XS_GET_DOMAIN_PATH); C(XS_WRITE); C(XS_MKDIR); C(XS_RM);
    C(XS_SET_PERMS); C(XS_WATCH_EVENT); C(XS_ERROR); C(XS_IS_DOMAIN_INTRODUCED); C(XS_RESUME); C(XS_SET_TARGET);
    C(XS_RESET_WATCHES); C(XS_DIRECTORY_PART); C(XS_TYPE_COUNT);
    P("xsd_errors.count", sizeof(xsd_errors) / sizeof(xsd_errors[0]));
    for (unsigned i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        printf("xsd_errors.%u.%s 1\n", i, xsd_errors[i].errstring);

    S(xencons_interface); O(xencons_interface, in); O(xencons_interface, out);
    P("xencons_interface.in_size", sizeof(((struct xencons_interface *)0)->in));
    P("xencons_interface.out_size", sizeof(((struct xencons_interface *)0)->out));
    O(xencons_interface, in_cons); O(xencons_interface, in_prod); O(xencons_interface, out_cons); O(xencons_interface, out_prod);

    S(grant_entry_v1); O(grant_entry_v1, flags); O(grant_entry_v1, domid); O(grant_entry_v1, frame);
    C(GTF_permit_access); C(GTF_type_mask); C(GTF_readonly); C(GTF_reading); C(GTF_writing); C(GNTTAB_NR_RESERVED_ENTRIES);

    O(shared_info, vcpu_info); O(shared_info, evtchn_pending); O(shared_info, evtchn_mask);
    O(shared_info, wc_version); O(shared_info, wc_sec); O(shared_info, wc_nsec); O(shared_info, wc_sec_hi);
    P("EVTCHN_2L_NR_CHANNELS", sizeof(xen_ulong_t) * sizeof(xen_ulong_t) * 64);
    S(vcpu_info); O(vcpu_info, evtchn_upcall_pending); O(vcpu_info, evtchn_upcall_mask); O(vcpu_info, evtchn_pending_sel); O(vcpu_info, time);
    O(vcpu_time_info, version); O(vcpu_time_info, tsc_timestamp); O(vcpu_time_info, system_time);
    O(vcpu_time_info, tsc_to_system_mul); O(vcpu_time_info, tsc_shift);
    C(VIRQ_TIMER);
    C(XenbusStateUnknown); C(XenbusStateInitialising); C(XenbusStateInitWait); C(XenbusStateInitialised);
    C(XenbusStateConnected); C(XenbusStateClosing); C(XenbusStateClosed);
    return 0;
}
