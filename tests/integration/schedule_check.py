#!/usr/bin/python3
"""schedule_check.py - an independent view of campaign schedules for
tests/integration/schedule.sh: python3-dateutil's rrule with zoneinfo (the
system tzdata), dateutil.tz for nonexistent and ambiguous local times, and
python3-icalendar to read what `campaign schedule --export` prints.

  next --dtstart LOCAL --tz ZONE [--rrule R] [--exdate LOCAL]... [--rdate LOCAL]... --count N
      the next N occurrences after now, one per line: "LOCAL-ISO UTC-ISO"
      (an EXDATE/RDATE ending in Z is UTC, else local in ZONE)
  mailout FILE
      the same lines from `campaign schedule --list --json` output
  exists LOCAL ZONE      prints "exists" or "missing" (dateutil.tz.datetime_exists)
  ambiguous LOCAL ZONE   prints "ambiguous FIRST-UTC" or "unique UTC"
  export FILE N          reads an exported .ics with icalendar: checks its
      structure, rebuilds the zone from its own VTIMEZONE and prints the next
      N occurrences expanded from it, as `next` does
"""
import json
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from dateutil import rrule as du_rrule
from dateutil import tz as du_tz

UTC = timezone.utc


def parse_local(s, zone):
    """LOCAL (YYYY-MM-DDTHH:MM[:SS]) in zone, or UTC when it ends in Z."""
    if s.endswith("Z"):
        return datetime.fromisoformat(s[:-1]).replace(tzinfo=UTC)
    return datetime.fromisoformat(s).replace(tzinfo=zone)


def utc_iso(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso(dt, zone):
    # through UTC: astimezone() to a datetime's own zone changes nothing,
    # not even a wall-clock time that does not exist
    return dt.astimezone(UTC).astimezone(zone).isoformat()


def expand(dtstart, rrule_text, exdates, rdates, count, zone):
    rs = du_rrule.rruleset()
    if rrule_text:
        rs.rrule(du_rrule.rrulestr(rrule_text, dtstart=dtstart))
    else:
        rs.rdate(dtstart)
    for d in exdates:
        rs.exdate(d)
    for d in rdates:
        rs.rdate(d)
    now = datetime.now(UTC)
    out = []
    for dt in rs.xafter(now, count=count, inc=False):
        out.append("%s %s" % (local_iso(dt, zone), utc_iso(dt)))
    return out


def cmd_next(args):
    opts = {"--exdate": [], "--rdate": []}
    i = 0
    while i < len(args):
        k, v = args[i], args[i + 1]
        if k in ("--exdate", "--rdate"):
            opts[k].append(v)
        else:
            opts[k] = v
        i += 2
    zone = ZoneInfo(opts["--tz"])
    dtstart = parse_local(opts["--dtstart"], zone)
    ex = [parse_local(s, zone) for s in opts["--exdate"]]
    rd = [parse_local(s, zone) for s in opts["--rdate"]]
    for line in expand(dtstart, opts.get("--rrule"), ex, rd, int(opts["--count"]), zone):
        print(line)


def cmd_mailout(path):
    with open(path) as f:
        d = json.load(f)
    for o in d["next"]:
        print("%s %s" % (o["local"], o["utc"]))


def cmd_exists(local, zone):
    dt = datetime.fromisoformat(local).replace(tzinfo=du_tz.gettz(zone))
    print("exists" if du_tz.datetime_exists(dt) else "missing")


def cmd_ambiguous(local, zone):
    dt = datetime.fromisoformat(local).replace(tzinfo=du_tz.gettz(zone))
    first = du_tz.enfold(dt, fold=0)
    if du_tz.datetime_ambiguous(dt):
        print("ambiguous %s" % utc_iso(first))
    else:
        print("unique %s" % utc_iso(first))


def fail(msg):
    print("export check failed: %s" % msg, file=sys.stderr)
    sys.exit(1)


def to_tz(vtimezone):
    """icalendar's Timezone.to_tz().  icalendar 4.0.3 hands dateutil an
    observance's floating DTSTART together with its RRULE's UTC UNTIL
    (which RFC 5545 requires in a VTIMEZONE), and dateutil refuses the mix;
    so UNTIL is first given as the observance's local time (UTC plus
    TZOFFSETFROM), which is what it means."""
    for obs in vtimezone.subcomponents:
        rule = obs.get("RRULE")
        if rule is None or "UNTIL" not in rule:
            continue
        until = rule["UNTIL"][0]
        if until.tzinfo is not None:
            off = obs["TZOFFSETFROM"].td
            rule["UNTIL"] = [until.replace(tzinfo=None) + off]
    return vtimezone.to_tz()


def cmd_export(path, count):
    import icalendar

    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    if cal.name != "VCALENDAR" or str(cal.get("VERSION")) != "2.0" or not cal.get("PRODID"):
        fail("not a VCALENDAR 2.0 with PRODID")
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    zones = [c for c in cal.walk() if c.name == "VTIMEZONE"]
    if len(events) != 1:
        fail("%d VEVENTs" % len(events))
    ev = events[0]
    for prop in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
        if prop not in ev:
            fail("VEVENT without " + prop)
    start = ev["DTSTART"]
    tzid = start.params.get("TZID")
    if tzid is None:
        zone = UTC
        if start.dt.utcoffset() is None or start.dt.utcoffset().total_seconds() != 0:
            fail("DTSTART is neither zoned nor UTC")
        vzone = UTC
    else:
        match = [z for z in zones if str(z["TZID"]) == tzid]
        if len(match) != 1:
            fail("no VTIMEZONE for TZID %s" % tzid)
        zone = ZoneInfo(tzid)
        vzone = to_tz(match[0])  # the zone as the calendar itself defines it
    # occurrences from the exported text (dateutil with the IANA zone it names) ...
    rrule_text = ev["RRULE"].to_ical().decode() if "RRULE" in ev else None

    def wall(t):
        """an exported date-time as an aware datetime in zone"""
        if t.tzinfo is not None and t.utcoffset().total_seconds() == 0 and \
                (tzid is None or str(t.tzinfo) == "UTC"):
            return t.replace(tzinfo=UTC)
        return t.replace(tzinfo=None).replace(tzinfo=zone)

    def dates(name):
        v = ev.get(name)
        items = [] if v is None else v if isinstance(v, list) else [v]
        return [wall(d.dt) for item in items for d in item.dts]

    rs = du_rrule.rruleset()
    dtstart = wall(start.dt)
    if rrule_text:
        rs.rrule(du_rrule.rrulestr(rrule_text, dtstart=dtstart))
    else:
        rs.rdate(dtstart)
    for d in dates("EXDATE"):
        rs.exdate(d)
    for d in dates("RDATE"):
        rs.rdate(d)
    now = datetime.now(UTC)
    for dt in rs.xafter(now, count=count, inc=False):
        # ... and its own VTIMEZONE must place each wall-clock time at the same instant
        if vzone is not UTC:
            placed = vzone.localize(dt.replace(tzinfo=None), is_dst=None)
            if placed.astimezone(UTC) != dt.astimezone(UTC):
                fail("the VTIMEZONE places %s at %s, tzdata at %s" % (
                    dt.replace(tzinfo=None), utc_iso(placed), utc_iso(dt)))
        print("%s %s" % (local_iso(dt, zone), utc_iso(dt)))


def main(argv):
    cmd = argv[1]
    if cmd == "next":
        cmd_next(argv[2:])
    elif cmd == "mailout":
        cmd_mailout(argv[2])
    elif cmd == "exists":
        cmd_exists(argv[2], argv[3])
    elif cmd == "ambiguous":
        cmd_ambiguous(argv[2], argv[3])
    elif cmd == "export":
        cmd_export(argv[2], int(argv[3]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
