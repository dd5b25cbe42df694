#!/bin/bash
# The rate limit, quota and accounting words of docs/POLICY.md on real
# traffic: the callout suite's end-to-end script uses each of them (iperf3
# under `limit rate ... burst`, quotas per day and per week that block or
# only alert, the accounting callout under `set accounting-limit ... per
# month`).
# words: limit rate burst quota per day week month then alert accounting-limit
bash "$(dirname "$0")/../callout/t-limits.sh"
