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
#define P(n,v) printf("%s %ld\n", n, (long)(v))
int main(void){
P("blkif_request.size", sizeof(struct blkif_request));
P("blkif_request.operation", offsetof(struct blkif_request, operation));
P("blkif_request.nr_segments", offsetof(struct blkif_request, nr_segments));
P("blkif_request.handle", offsetof(struct blkif_request, handle));
P("blkif_request.id", offsetof(struct blkif_request, id));
P("blkif_request.sector_number", offsetof(struct blkif_request, sector_number));
P("blkif_request.seg", offsetof(struct blkif_request, seg));
P("blkif_request_segment.size", sizeof(struct blkif_request_segment));
P("blkif_request_segment.gref", offsetof(struct blkif_request_segment, gref));
P("blkif_request_segment.first_sect", offsetof(struct blkif_request_segment, first_sect));
P("blkif_request_segment.last_sect", offsetof(struct blkif_request_segment, last_sect));
P("blkif_response.size", sizeof(struct blkif_response));
P("blkif_response.id", offsetof(struct blkif_response, id));
P("blkif_response.operation", offsetof(struct blkif_response, operation));
P("blkif_response.status", offsetof(struct blkif_response, status));
P("BLKIF_MAX_SEGMENTS_PER_REQUEST", BLKIF_MAX_SEGMENTS_PER_REQUEST);
P("BLKIF_OP_READ", BLKIF_OP_READ); P("BLKIF_OP_WRITE", BLKIF_OP_WRITE);
P("BLKIF_OP_WRITE_BARRIER", BLKIF_OP_WRITE_BARRIER); P("BLKIF_OP_FLUSH_DISKCACHE", BLKIF_OP_FLUSH_DISKCACHE);
P("BLKIF_RSP_OKAY", BLKIF_RSP_OKAY); P("BLKIF_RSP_ERROR", BLKIF_RSP_ERROR); P("BLKIF_RSP_EOPNOTSUPP", BLKIF_RSP_EOPNOTSUPP);
P("VDISK_READONLY", VDISK_READONLY);
P("blkif_sring.size_header", offsetof(struct blkif_sring, ring));
P("blkif_sring.req_prod", offsetof(struct blkif_sring, req_prod));
P("blkif_sring.req_event", offsetof(struct blkif_sring, req_event));
P("blkif_sring.rsp_prod", offsetof(struct blkif_sring, rsp_prod));
P("blkif_sring.rsp_event", offsetof(struct blkif_sring, rsp_event));
P("blkif_sring.entry", sizeof(union blkif_sring_entry));
P("BLK_RING_SIZE", __CONST_RING_SIZE(blkif, 4096));
P("xsd_sockmsg.size", sizeof(struct xsd_sockmsg));
P("xsd_sockmsg.type", offsetof(struct xsd_sockmsg, type));
P("xsd_sockmsg.req_id", offsetof(struct xsd_sockmsg, req_id));
P("xsd_sockmsg.tx_id", offsetof(struct xsd_sockmsg, tx_id));
P("xsd_sockmsg.len", offsetof(struct xsd_sockmsg, len));
P("XS_DIRECTORY", XS_DIRECTORY); P("XS_READ", XS_READ); P("XS_WATCH_EVENT", XS_WATCH_EVENT); P("XS_ERROR", XS_ERROR);P("XS_RESET_WATCHES",XS_RESET_WATCHES);P("XS_DIRECTORY_PART",XS_DIRECTORY_PART);
P("xenstore_domain_interface.req_cons", offsetof(struct xenstore_domain_interface, req_cons));
P("xenstore_domain_interface.rsp_prod", offsetof(struct xenstore_domain_interface, rsp_prod));
P("xenstore_domain_interface.server_features", offsetof(struct xenstore_domain_interface, server_features));
P("xenstore_domain_interface.connection", offsetof(struct xenstore_domain_interface, connection));
P("xenstore_domain_interface.error", offsetof(struct xenstore_domain_interface, error));
P("xencons_interface.size", sizeof(struct xencons_interface));
P("xencons_interface.out", offsetof(struct xencons_interface, out));
P("xencons_interface.in_cons", offsetof(struct xencons_interface, in_cons));
P("xencons_interface.in_prod", offsetof(struct xencons_interface, in_prod));
P("xencons_interface.out_cons", offsetof(struct xencons_interface, out_cons));
P("xencons_interface.out_prod", offsetof(struct xencons_interface, out_prod));
P("grant_entry_v1.size", sizeof(struct grant_entry_v1));
P("grant_entry_v1.flags", offsetof(struct grant_entry_v1, flags));
P("grant_entry_v1.domid", offsetof(struct grant_entry_v1, domid));
P("grant_entry_v1.frame", offsetof(struct grant_entry_v1, frame));
P("GTF_permit_access", GTF_permit_access); P("GTF_readonly", GTF_readonly); P("GTF_reading", GTF_reading); P("GTF_writing", GTF_writing);
P("shared_info.vcpu_info", offsetof(struct shared_info, vcpu_info));
P("vcpu_info.size", sizeof(struct vcpu_info));
P("vcpu_info.evtchn_upcall_pending", offsetof(struct vcpu_info, evtchn_upcall_pending));
P("vcpu_info.evtchn_upcall_mask", offsetof(struct vcpu_info, evtchn_upcall_mask));
P("vcpu_info.evtchn_pending_sel", offsetof(struct vcpu_info, evtchn_pending_sel));
P("vcpu_info.time", offsetof(struct vcpu_info, time));
P("vcpu_time_info.version", offsetof(struct vcpu_time_info, version));
P("vcpu_time_info.tsc_timestamp", offsetof(struct vcpu_time_info, tsc_timestamp));
P("vcpu_time_info.system_time", offsetof(struct vcpu_time_info, system_time));
P("vcpu_time_info.tsc_to_system_mul", offsetof(struct vcpu_time_info, tsc_to_system_mul));
P("vcpu_time_info.tsc_shift", offsetof(struct vcpu_time_info, tsc_shift));
P("shared_info.evtchn_pending", offsetof(struct shared_info, evtchn_pending));
P("shared_info.evtchn_mask", offsetof(struct shared_info, evtchn_mask));
P("shared_info.wc_version", offsetof(struct shared_info, wc_version));
P("shared_info.wc_sec", offsetof(struct shared_info, wc_sec));
P("shared_info.wc_nsec", offsetof(struct shared_info, wc_nsec));
P("shared_info.wc_sec_hi", offsetof(struct shared_info, wc_sec_hi));
P("XenbusStateInitWait", XenbusStateInitWait); P("XenbusStateClosing", XenbusStateClosing);
P("VIRQ_TIMER", VIRQ_TIMER);
return 0;}
