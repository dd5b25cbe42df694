# The `ward` command: the policy offline, wardd over the protocol, the log
# and the event ring; json-c for --json output; the mail proxy's CA (mail-ca).
ward_USES   := callout engine ids log mailtls policy proc proto ring sign store util
ward_LDLIBS := -ljson-c
