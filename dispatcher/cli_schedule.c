/*
 * cli_schedule.c - `mailout campaign schedule` (schedule.h).
 *
 * issue 11 (h-ical): placeholder until the command lands.
 */
#include "cli.h"
#include "schedule.h"

int cmd_campaign_schedule(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    (void)cli;
    (void)argc;
    (void)argv;
    return mo_err_set(err, MO_E_INTERNAL, "campaign schedule is not built yet");
}
