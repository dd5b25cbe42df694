# wardd: everything but the CLI; sd_notify for systemd.
wardd_USES   := alert callout compile engine kernel log policy proc proto ring service store stream util
wardd_LDLIBS := -lsystemd
