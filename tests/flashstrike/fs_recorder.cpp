// SPDX-License-Identifier: MIT
/*
 * fs_recorder.cpp - a recorder shaped like FlashStrike's
 * MetaStore::flush_to_disk_() (flashstrike/wal/recorder/meta.hpp), with the
 * probes where docs/instrumenting-flashstrike.md puts them:
 *
 *   - start_ns is read before the dirty check, as in the original; a flush
 *     with nothing dirty returns early and fires no probe;
 *   - meta_flush_start fires after the dirty check;
 *   - every failing step (open, write, fdatasync, rename) fires
 *     meta_flush_failed(start_ns, errno) and returns false, recording nothing;
 *   - end_ns is read once and given both to meta_flush_done and to the
 *     telemetry's record().
 *
 * Built a second time with -DFS_NAIVE: the probes placed naively (start
 * before the dirty check, no failed probe, done reading the clock again), the
 * negative control that shows what the placement is for.
 *
 *   fs_recorder --dir DIR --plan STEP:N[,STEP:N...] [--wait-for-tracer S]
 *               [--report FILE] [--dump] [--hold]
 *
 * STEP: ok (update, flush), clean (flush with nothing dirty), enospc (the
 * temp file is a symlink to /dev/full: write fails), eacces (DIR is 0555 and
 * the process lacks CAP_DAC_OVERRIDE: open fails), eisdir (wal.meta is a
 * directory: rename fails).  --report writes the in-process ground truth as
 * JSON (MetaStore values, clean returns, failures by errno name); --hold then
 * waits for SIGINT/SIGTERM, so a tracer can read the in-flight table while
 * the process is alive.  Exit: 0 ok, 1 runtime error, 2 usage.
 */
#define FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES
#include "flashstrike_probes.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "telemetry.h"

namespace {

std::uint64_t now_ns()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
	       static_cast<std::uint64_t>(ts.tv_nsec);
}

/* The telemetry hook, given the end time (the original reads the clock itself). */
class MetaUpdater {
public:
	void on_async_meta_flush_completed(std::uint64_t start_ns, std::uint64_t end_ns) const noexcept
	{
		fs_telemetry_record(start_ns, end_ns);
	}
#ifdef FS_NAIVE
	void on_async_meta_flush_completed(std::uint64_t start_ns) const noexcept
	{
		fs_telemetry_record(start_ns, now_ns());
	}
#endif
};

class MetaStore {
public:
	MetaStore(const std::string &dir, const std::string &fname)
		: dir_(dir), path_(dir + "/" + fname)
	{
	}

	void update(std::uint32_t segment, std::uint32_t offset, std::uint64_t event_id) noexcept
	{
		state_.store((static_cast<std::uint64_t>(segment) << 32) | offset,
			     std::memory_order_release);
		event_id_.store(event_id, std::memory_order_release);
		dirty_.exchange(true, std::memory_order_acq_rel);
	}

	bool flush_to_disk() noexcept;

	/* ground truth for the test */
	std::map<int, unsigned> failures;
	unsigned clean = 0;

private:
	bool failed_(std::uint64_t start_ns, int err) noexcept;

	std::string dir_, path_;
	std::atomic<bool> dirty_{ false };
	std::atomic<std::uint64_t> state_{ 0 }, event_id_{ 0 };
	MetaUpdater metrics_;
};

/* Every failing return goes through here: the probe, then false (nothing recorded). */
bool MetaStore::failed_(std::uint64_t start_ns, int err) noexcept
{
#ifndef FS_NAIVE
	FLASHSTRIKE_META_FLUSH_FAILED(start_ns, err);
#else
	(void)start_ns;
#endif
	failures[err]++;
	return false;
}

bool MetaStore::flush_to_disk() noexcept
{
	const std::uint64_t start_ns = now_ns(); /* before the dirty check, as the original */

#ifdef FS_NAIVE
	FLASHSTRIKE_META_FLUSH_START(start_ns); /* naive: every call looks like a flush */
#endif
	if (!dirty_.exchange(false, std::memory_order_acq_rel)) {
		clean++;
		return true; /* nothing to do: no flush, no probe */
	}
#ifndef FS_NAIVE
	FLASHSTRIKE_META_FLUSH_START(start_ns);
#endif
	const std::uint64_t packed = state_.load(std::memory_order_acquire);
	const std::uint64_t event_id = event_id_.load(std::memory_order_acquire);
	const std::string tmp = path_ + ".tmp";
	int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return failed_(start_ns, errno);
	for (std::uint64_t v : { packed, event_id }) {
		ssize_t n = ::write(fd, &v, sizeof(v));

		if (n != static_cast<ssize_t>(sizeof(v))) {
			int err = n < 0 ? errno : EIO; /* a short write sets no errno */

			::close(fd);
			::unlink(tmp.c_str());
			return failed_(start_ns, err);
		}
	}
	if (::fdatasync(fd) != 0) {
		int err = errno;

		::close(fd);
		::unlink(tmp.c_str());
		return failed_(start_ns, err);
	}
	::close(fd);
	std::error_code ec;
	std::filesystem::rename(tmp, path_, ec);
	if (ec)
		return failed_(start_ns, ec.value());
	int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) { /* as the original: a failed directory sync is not a failed flush */
		::fdatasync(dfd);
		::close(dfd);
	}
#ifdef FS_NAIVE
	FLASHSTRIKE_META_FLUSH_DONE(start_ns, now_ns());
	metrics_.on_async_meta_flush_completed(start_ns); /* a second clock read */
#else
	const std::uint64_t end_ns = now_ns(); /* once, for the probe and record() alike */
	FLASHSTRIKE_META_FLUSH_DONE(start_ns, end_ns);
	metrics_.on_async_meta_flush_completed(start_ns, end_ns);
#endif
	return true;
}

[[noreturn]] void die(int code, const std::string &msg)
{
	std::fprintf(stderr, "fs_recorder: %s\n", msg.c_str());
	std::exit(code);
}

/*
 * Root bypasses directory permissions through CAP_DAC_OVERRIDE: give it up
 * (effective and permitted), so a 0555 directory refuses the temp file as it
 * would for the recorder's service user.
 */
void drop_dac_override()
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		die(1, std::string("capget: ") + std::strerror(errno));
	d[0].effective &= ~(1u << CAP_DAC_OVERRIDE);
	d[0].permitted &= ~(1u << CAP_DAC_OVERRIDE);
	d[0].inheritable &= ~(1u << CAP_DAC_OVERRIDE);
	if (syscall(SYS_capset, &h, d))
		die(1, std::string("capset: ") + std::strerror(errno));
}

struct Step {
	std::string kind;
	unsigned n;
};

std::vector<Step> parse_plan(const std::string &spec)
{
	std::vector<Step> plan;
	std::size_t pos = 0;

	while (pos < spec.size()) {
		std::size_t comma = spec.find(',', pos), colon = spec.find(':', pos);
		std::string item = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
		char *end = nullptr;

		if (colon == std::string::npos || colon >= pos + item.size())
			die(2, "bad --plan item '" + item + "' (want STEP:N)");
		std::string kind = spec.substr(pos, colon - pos);
		unsigned long n = std::strtoul(spec.c_str() + colon + 1, &end, 10);
		if (end != spec.c_str() + pos + item.size() || n == 0 || n > 100000)
			die(2, "bad count in --plan item '" + item + "'");
		if (kind != "ok" && kind != "clean" && kind != "enospc" && kind != "eacces" && kind != "eisdir")
			die(2, "unknown --plan step '" + kind + "' (ok clean enospc eacces eisdir)");
		plan.push_back({ kind, static_cast<unsigned>(n) });
		pos = comma == std::string::npos ? spec.size() : comma + 1;
	}
	if (plan.empty())
		die(2, "empty --plan");
	return plan;
}

void must(int rc, const std::string &what)
{
	if (rc)
		die(1, what + ": " + std::strerror(errno));
}

/* One flush under the step's failure condition, undone afterwards. */
void run_step(MetaStore &ms, const std::string &dir, const std::string &kind, std::uint64_t &id)
{
	const std::string meta = dir + "/wal.meta", tmp = meta + ".tmp";

	if (kind == "enospc") {
		::unlink(tmp.c_str());
		must(::symlink("/dev/full", tmp.c_str()), "symlink " + tmp);
	} else if (kind == "eacces") {
		must(::chmod(dir.c_str(), 0555), "chmod " + dir);
	} else if (kind == "eisdir") {
		::unlink(meta.c_str());
		must(::mkdir(meta.c_str(), 0755), "mkdir " + meta);
	}
	if (kind != "clean") {
		id++;
		ms.update(static_cast<std::uint32_t>(id / 100), static_cast<std::uint32_t>(id * 64), id);
	}
	ms.flush_to_disk();
	if (kind == "eacces") {
		must(::chmod(dir.c_str(), 0755), "chmod " + dir);
	} else if (kind == "eisdir") {
		must(::rmdir(meta.c_str()), "rmdir " + meta);
		::unlink(tmp.c_str());
	}
}

void write_report(const std::string &path, const MetaStore &ms)
{
	std::uint64_t v[4];
	std::string tmp = path + ".tmp";
	FILE *f = std::fopen(tmp.c_str(), "we");

	if (!f)
		die(1, "cannot write " + tmp + ": " + std::strerror(errno));
	fs_telemetry_values(v);
	std::fprintf(f, "{\"pid\":%d,\"samples\":%llu,\"total_ns\":%llu,\"min_ns\":%llu,\"max_ns\":%llu,"
			"\"clean\":%u,\"failed\":{",
		     static_cast<int>(getpid()), static_cast<unsigned long long>(v[0]),
		     static_cast<unsigned long long>(v[1]), static_cast<unsigned long long>(v[2]),
		     static_cast<unsigned long long>(v[3]), ms.clean);
	const char *sep = "";
	for (const auto &[err, n] : ms.failures) {
		const char *name = strerrorname_np(err);

		std::fprintf(f, "%s\"%s\":%u", sep, name ? name : "other", n);
		sep = ",";
	}
	std::fprintf(f, "}}\n");
	if (std::fclose(f) || std::rename(tmp.c_str(), path.c_str()))
		die(1, "cannot write " + path + ": " + std::strerror(errno));
}

volatile std::sig_atomic_t stop;

void on_signal(int)
{
	stop = 1;
}

void wait_for_tracer(double seconds)
{
	const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);

	/* the failed probe is attached last: once it is up, start and done are too */
#ifdef FS_NAIVE
	while (!FLASHSTRIKE_META_FLUSH_DONE_ENABLED()) {
#else
	while (!FLASHSTRIKE_META_FLUSH_FAILED_ENABLED()) {
#endif
		if (std::chrono::steady_clock::now() > until)
			die(2, "no tracer attached");
		if (stop)
			std::exit(0);
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	/* the kernel raises a semaphore just before the program is attached */
	std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

} // namespace

int main(int argc, char **argv)
{
	std::string dir, plan_spec, report;
	double wait = -1;
	bool dump = false, hold = false;

	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		auto value = [&]() -> std::string {
			if (i + 1 >= argc)
				die(2, a + " needs a value");
			return argv[++i];
		};
		if (a == "--dir")
			dir = value();
		else if (a == "--plan")
			plan_spec = value();
		else if (a == "--report")
			report = value();
		else if (a == "--wait-for-tracer")
			wait = std::atof(value().c_str());
		else if (a == "--dump")
			dump = true;
		else if (a == "--hold")
			hold = true;
		else
			die(2, "unknown option '" + a + "'");
	}
	if (dir.empty() || plan_spec.empty())
		die(2, "usage: fs_recorder --dir DIR --plan STEP:N[,...] [--wait-for-tracer S] "
		       "[--report FILE] [--dump] [--hold]");
	std::vector<Step> plan = parse_plan(plan_spec);
	std::signal(SIGINT, on_signal);
	std::signal(SIGTERM, on_signal);
	if (::mkdir(dir.c_str(), 0755) && errno != EEXIST)
		die(1, "mkdir " + dir + ": " + std::strerror(errno));
	if (geteuid() == 0)
		drop_dac_override();
	if (wait > 0)
		wait_for_tracer(wait);

	MetaStore ms(dir, "wal.meta");
	std::uint64_t id = 0;

	for (const Step &s : plan)
		for (unsigned i = 0; i < s.n; i++)
			run_step(ms, dir, s.kind, id);
	if (dump)
		fs_telemetry_dump(stdout);
	if (!report.empty())
		write_report(report, ms);
	std::fflush(stdout);
	while (hold && !stop)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	return 0;
}
