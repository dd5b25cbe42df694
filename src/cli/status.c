/* cli/status.c — `ward status [--json]`: what wardd is doing. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/daemon.h"

/* The antivirus lines: the scanner, its engine and databases, the counts. */
static void print_av(const ward_proto_status *s)
{
    printf("av:        %s, scanner %s", s->av_mode[0] ? s->av_mode : "off",
           s->av_state[0] ? s->av_state : "not started");
    if (s->av_engine[0]) {
        char date[32] = "?";
        time_t t = (time_t)s->av_db_time;
        struct tm tm;
        if (t > 0 && gmtime_r(&t, &tm))
            strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
        printf(", libclamav %s, %llu signatures (database version %llu, %s)", s->av_engine,
               (unsigned long long)s->av_sigs, (unsigned long long)s->av_db_version, date);
    }
    printf("\n           %llu scans, %llu cache hits, %llu infected, %llu restarts\n",
           (unsigned long long)s->av_scans, (unsigned long long)s->av_cache_hits,
           (unsigned long long)s->av_infected, (unsigned long long)s->av_restarts);
    if (s->av_error[0])
        printf("           the last database load failed: %s\n", s->av_error);
}

int cmd_status(int argc, char **argv)
{
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    if (argc > 2 || (argc == 2 && !json)) {
        fprintf(stderr, "usage: %s status [--json]\n", cli_prog);
        return EXIT_USAGE;
    }
    ward_msg req = {.type = WARD_MSG_STATUS}, rep;
    if (cli_request("ward-status", &req, &rep) < 0)
        return 1;
    const ward_proto_status *s = &rep.u.status;
    if (json)
        printf("{\"version\":%u,\"mode\":\"%s\",\"uptime_s\":%lld,\"filters\":%llu,"
               "\"programs\":%llu,\"rules\":%llu,\"clients\":%llu,\"prompters\":%llu,"
               "\"subscribers\":%llu,\"prompts_pending\":%llu,\"decisions\":%llu,"
               "\"log_written\":%llu,\"log_dropped\":%llu,\"proc_source\":\"%s\","
               "\"proc_execs\":%llu,\"proc_exits\":%llu,\"boot\":%llu,\"lost_last_run\":%llu,"
               "\"prompt_overflow\":%llu,\"queue_dropped\":%llu,\"queue_user_dropped\":%llu,"
               "\"kernel_events\":%llu,\"kernel_lost\":%llu,\"folded\":%llu,"
               "\"packet_sockets\":\"%s\",\"ids_rules\":%llu,\"ids_flows\":%llu,"
               "\"ids_alerts\":%llu,\"ids_blocks\":%llu,\"ids_lost\":%llu,\"ids_bypassed\":%llu,"
               "\"stream_bound_open\":%llu,\"stream_bound_closed\":%llu,"
               "\"tamper_watch\":\"%s\",\"av_mode\":\"%s\",\"av_state\":\"%s\","
               "\"av_engine\":\"%s\",\"av_sigs\":%llu,\"av_db_version\":%llu,"
               "\"av_db_time\":%lld,\"av_scans\":%llu,\"av_cache_hits\":%llu,"
               "\"av_infected\":%llu,\"av_restarts\":%llu,\"mail_state\":\"%s\","
               "\"mail_port\":%llu,\"mail_listeners\":%llu,\"mail_decided\":%llu,"
               "\"mail_tls_failed\":%llu}\n",
               s->version, ward_mode_name(s->mode), (long long)s->uptime_s,
               (unsigned long long)s->filters, (unsigned long long)s->apps,
               (unsigned long long)s->app_rules, (unsigned long long)s->clients,
               (unsigned long long)s->prompters, (unsigned long long)s->subscribers,
               (unsigned long long)s->prompts_pending, (unsigned long long)s->decisions,
               (unsigned long long)s->log_written, (unsigned long long)s->log_dropped,
               s->proc_source, (unsigned long long)s->proc_execs, (unsigned long long)s->proc_exits,
               (unsigned long long)s->boot, (unsigned long long)s->lost_last_run,
               (unsigned long long)s->prompt_overflow, (unsigned long long)s->queue_dropped,
               (unsigned long long)s->queue_user_dropped, (unsigned long long)s->kernel_events,
               (unsigned long long)s->kernel_lost, (unsigned long long)s->folded,
               s->packet_sockets[0] ? s->packet_sockets : "none", (unsigned long long)s->ids_rules,
               (unsigned long long)s->ids_flows, (unsigned long long)s->ids_alerts,
               (unsigned long long)s->ids_blocks, (unsigned long long)s->ids_lost,
               (unsigned long long)s->ids_bypassed, (unsigned long long)s->stream_bound_open,
               (unsigned long long)s->stream_bound_closed,
               s->tamper_watch[0] ? s->tamper_watch : "none", s->av_mode, s->av_state, s->av_engine,
               (unsigned long long)s->av_sigs, (unsigned long long)s->av_db_version,
               (long long)s->av_db_time, (unsigned long long)s->av_scans,
               (unsigned long long)s->av_cache_hits, (unsigned long long)s->av_infected,
               (unsigned long long)s->av_restarts, s->mail_state, (unsigned long long)s->mail_port,
               (unsigned long long)s->mail_listeners, (unsigned long long)s->mail_decided,
               (unsigned long long)s->mail_tls_failed);
    else
        printf("wardd: running for %llds, protocol %u\n"
               "mode:      %s\n"
               "policy:    %llu programs, %llu rules, %llu filters\n"
               "clients:   %llu (%llu prompters, %llu watching)\n"
               "prompts:   %llu waiting, %llu past the limit (the timeout's answer at once)\n"
               "queue:     %llu packets dropped by the kernel (%llu queue full, %llu socket "
               "buffer full)\n"
               "decisions: %llu (log: %llu written, %llu dropped)\n"
               "kernel:    %llu decisions of the hooks received, %llu lost (their ring was "
               "full); %llu repeats counted into earlier rows\n"
               "processes: events from %s (%llu exec, %llu exit)\n"
               "boot:      %llu (the last run: %llu decisions never logged)\n",
               (long long)s->uptime_s, s->version, ward_mode_name(s->mode),
               (unsigned long long)s->apps, (unsigned long long)s->app_rules,
               (unsigned long long)s->filters, (unsigned long long)s->clients,
               (unsigned long long)s->prompters, (unsigned long long)s->subscribers,
               (unsigned long long)s->prompts_pending, (unsigned long long)s->prompt_overflow,
               (unsigned long long)(s->queue_dropped + s->queue_user_dropped),
               (unsigned long long)s->queue_dropped, (unsigned long long)s->queue_user_dropped,
               (unsigned long long)s->decisions, (unsigned long long)s->log_written,
               (unsigned long long)s->log_dropped, (unsigned long long)s->kernel_events,
               (unsigned long long)s->kernel_lost, (unsigned long long)s->folded,
               s->proc_source[0] ? s->proc_source : "?", (unsigned long long)s->proc_execs,
               (unsigned long long)s->proc_exits, (unsigned long long)s->boot,
               (unsigned long long)s->lost_last_run);
    if (!json)
        printf("injection: %s\n",
               !strcmp(s->tamper_watch, "bpf-lsm") ? "watched by the BPF LSM hook (ptrace access)"
               : !strcmp(s->tamper_watch, "tracepoint")
                   ? "watched at the exit of ptrace, process_vm_writev and open (no BPF LSM)"
                   : "not watched");
    if (!json)
        printf("packets:   packet sockets %s\n",
               !strcmp(s->packet_sockets, "logged") ? "logged when made (cannot be refused here)"
               : s->packet_sockets[0]               ? "not seen"
                                                    : "not seen (no kernel backend)");
    if (!json) {
        printf(
            "ids:       %llu rules; %llu flows inspected, %llu alerts, %llu reset; %llu bytes "
            "not inspected (reassembly bound); %llu flows past the depth (left the stream queue)\n"
            "stream:    bound reached: %llu flows passed (fail open), %llu reset (fail "
            "closed)\n",
            (unsigned long long)s->ids_rules, (unsigned long long)s->ids_flows,
            (unsigned long long)s->ids_alerts, (unsigned long long)s->ids_blocks,
            (unsigned long long)s->ids_lost, (unsigned long long)s->ids_bypassed,
            (unsigned long long)s->stream_bound_open, (unsigned long long)s->stream_bound_closed);
        print_av(s);
        printf("mail:      proxy %s", s->mail_state[0] ? s->mail_state : "off");
        if (s->mail_port)
            printf(", redirected flows on port %llu", (unsigned long long)s->mail_port);
        printf(", %llu TLS listeners; %llu messages decided, %llu upstream TLS failures\n",
               (unsigned long long)s->mail_listeners, (unsigned long long)s->mail_decided,
               (unsigned long long)s->mail_tls_failed);
    }
    ward_msg_free(&rep);
    return 0;
}
