# NetScouter — `make run` opens the dashboard, `make test` runs every test, `make bench` the
# benchmarks. Each first installs the Debian packages that are missing (as root directly, else
# through sudo, printing the exact command).

DEBIAN_PACKAGES := pkg-config libsdl2-dev libsdl2-ttf-dev libpcap-dev libcurl4-openssl-dev \
                   libsdl2-image-dev libfontconfig-dev libsqlite3-dev sqlite3 fontconfig fonts-dejavu-core tcpdump tshark iproute2 gcc xvfb xauth x11-apps jq python3 \
                   nftables iputils-ping netbase ipset iptables
# Reference tools the scanner benchmark compares against (installed by `make bench`/`bench-scan`).
BENCH_PACKAGES := nmap arp-scan
SWIFT ?= swift
TEST_FLAGS ?=

.PHONY: all deps bench-deps build release run test bench bench-live bench-scan bench-firewall clean

all: build

# Intel: offline geo/AS (libloc + its database), MAC vendors (IEEE registries), optional .mmdb.
DEBIAN_PACKAGES += libloc-dev libloc-database ieee-data libmaxminddb-dev
# IoT: the export test validates against Assets/iot-export.schema.json with the reference validator.
DEBIAN_PACKAGES += python3-jsonschema
# Firewall: the setcap'd, non-root netscouter test (setcap; setpriv comes with util-linux).
DEBIAN_PACKAGES += libcap2-bin

deps:
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 is not on PATH. Install the Swift toolchain from swift.org (Debian 12 build) and re-run."; exit 1; }
	@missing=""; \
	for package in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo "; fi; \
	  echo "Installing missing Debian packages:$$missing"; \
	  echo "  $${sudo}apt-get update && $${sudo}apt-get install -y$$missing"; \
	  $${sudo}apt-get update -qq && $${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

bench-deps: deps
	@missing=""; \
	for package in $(BENCH_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo "; fi; \
	  echo "Installing missing Debian packages:$$missing"; \
	  $${sudo}apt-get update -qq && $${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product netscouter

run: build
	$(SWIFT) run netscouter

# XCTest only: --disable-swift-testing so the closing line counts the XCTest tests that ran.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing $(TEST_FLAGS)

bench: bench-deps
	$(SWIFT) build -c release --product NetScouterBench
	$(SWIFT) build -c release --product NetScouterUIBench
	$(SWIFT) build -c release --product NetScouterIntelBench
	$(SWIFT) build -c release --product NetScouterScanBench
	$(SWIFT) build -c release --product NetScouterFirewallBench
	$(SWIFT) build -c release --product NetScouterIoTMapBench
	$(SWIFT) build -c release --product netscouter
	$(SWIFT) run -c release --skip-build NetScouterBench $(BENCH_FLAGS)
	$(SWIFT) run -c release --skip-build NetScouterUIBench $(BENCH_FLAGS)
	$(SWIFT) run -c release --skip-build NetScouterIntelBench
	$(SWIFT) run -c release --skip-build NetScouterScanBench
	$(SWIFT) run -c release --skip-build NetScouterFirewallBench
	$(SWIFT) run -c release --skip-build NetScouterIoTMapBench

# A 20,000-entry blocklist into nftables vs `ipset restore`, in a namespace (root).
bench-firewall: deps
	$(SWIFT) build -c release --product NetScouterFirewallBench
	$(SWIFT) run -c release --skip-build NetScouterFirewallBench

# The scanner benchmark alone: full-range scan vs nmap, dropped host vs nmap, ARP /24 vs arp-scan.
bench-scan: bench-deps
	$(SWIFT) build -c release --product NetScouterScanBench
	$(SWIFT) build -c release --product netscouter
	$(SWIFT) run -c release --skip-build NetScouterScanBench

# Only the live-capture loss benchmark (root: it creates two network namespaces and a veth pair,
# and deletes them afterwards). BENCH_FLAGS=--quick for a short smoke run.
bench-live: deps
	$(SWIFT) build -c release --product NetScouterBench
	$(SWIFT) build -c release --product netscouter
	$(SWIFT) run -c release --skip-build NetScouterBench --only-live $(BENCH_FLAGS)

clean:
	rm -rf .build bench-data
