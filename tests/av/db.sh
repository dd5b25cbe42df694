# tests/av/db.sh — a signature database made by the test (sourced): no
# network, no freshclam. Hash signatures (.hdb: MD5, size, name) of EICAR,
# of the clamav-testfiles' clam.exe (which every file of that corpus holds,
# packed or archived) and of any file the test adds. ward-scand runs as
# nobody: the directory and its files are world-readable.
AV_TESTFILES=/usr/share/clamav-testfiles
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

# av_sig FILE NAME: the .hdb line for FILE.
av_sig() { echo "$(md5sum <"$1" | cut -c1-32):$(stat -c %s "$1"):$2"; }

# av_db DIR: DIR/test.hdb with EICAR and clam.exe; $DIR/eicar.com made.
av_db() {
    mkdir -p "$1"
    chmod 755 "$1"
    printf '%s' "$EICAR" >"$1/../eicar.com"
    {
        av_sig "$1/../eicar.com" Ward.Test.Eicar
        av_sig "$AV_TESTFILES/clam.exe" Ward.Test.ClamExe
    } >"$1/test.hdb"
    chmod 644 "$1/test.hdb"
}

# av_add DIR FILE NAME: one more signature, in a file of its own (written
# aside and renamed in: the helper reloads once, on a whole file).
av_add() {
    av_sig "$2" "$3" >"$1/.$3.tmp"
    chmod 644 "$1/.$3.tmp"
    mv "$1/.$3.tmp" "$1/$3.hdb"
}

# av_infect SRC DST: a copy of program SRC that still runs, with bytes
# appended that only the test's signature of DST names.
av_infect() {
    cp "$1" "$2"
    printf 'ward-av-test-%s' "$RANDOM$RANDOM" >>"$2"
}
