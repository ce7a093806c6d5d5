// Lab 2: device initialisation and feature negotiation (spec 3.1.1) against
// the strict fake device, on both register layouts.
#include <criterion/criterion.h>
#include <string.h>

#include "errno.h"
#include "fdt.h"
#include "fake_mmio.h"
#include "fake_virtio.h"
#include "host_kernel.h"
#include "virtio/blk.h"
#include "virtio/mmio.h"
#include "virtio/scan.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "virtio/virtq.h"

#define BIT(b) VIRTIO_BIT(b)

static struct fake_virtio *fv;
static struct virtio_dev dev;

static void setup(void)
{
	fake_mmio_reset();
	host_log_clear();
	host_time_reset();
}

static void teardown(void)
{
	fake_virtio_free_all();
}

// a driver that hangs (a reset never given up on) fails instead of stalling the run
TestSuite(virtio_init, .init = setup, .fini = teardown, .timeout = 60);

// A device of this version in slot 0, opened as the scan would find it.
static struct fake_virtio *plug(uint32_t version, uint32_t device_id)
{
	struct virtio_slot s;

	fv = fake_virtio_new(0, version, device_id);
	virtio_probe_slot(0, fake_mmio_base(0), &s);
	cr_assert_eq(vmmio_open(&dev, &s), 0);
	return fv;
}

static void assert_driver_followed_the_spec(void)
{
	cr_assert_eq(fv->errors, 0,
	             "the fake device saw %d protocol errors, the first: %s\nlog:\n%s", fv->errors,
	             fv->error, host_log());
}

// Whether the log line starting with `prefix` also contains `word`.
static bool log_line_has(const char *prefix, const char *word)
{
	const char *line = strstr(host_log(), prefix);

	if (!line)
		return false;
	const char *end = strchr(line, '\n');
	size_t n = end ? (size_t)(end - line) : strlen(line);
	char buf[512];
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return strstr(buf, word) != NULL;
}

Test(virtio_init, lab0_given_open_of_an_empty_slot_is_enodev)
{
	struct virtio_slot s;

	fake_mmio_set_ids(1, VIRTIO_MMIO_MAGIC, 2, 0, 0);
	virtio_probe_slot(1, fake_mmio_base(1), &s);
	cr_assert_eq(vmmio_open(&dev, &s), -ENODEV);
	cr_assert_eq(vmmio_open(&dev, NULL), -ENODEV);
}

Test(virtio_init, lab2_init_starts_with_a_reset)
{
	plug(2, VIRTIO_ID_BLOCK);
	// left running by whoever had it before us
	fv->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK;
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert_geq(fv->nstatus_log, 1);
	cr_assert_eq(fv->status_log[0], 0, "the first Status write must be 0, was 0x%x",
	             fv->status_log[0]);
	cr_assert_eq(fv->resets, 1);
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_acknowledge_then_driver_are_set_in_order)
{
	plug(2, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert_geq(fv->nstatus_log, 3);
	cr_assert_eq(fv->status_log[1], VIRTIO_STATUS_ACKNOWLEDGE);
	cr_assert_eq(fv->status_log[2], VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_accepted_features_are_the_offer_intersected_with_the_whitelist)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->offered = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_INDIRECT_DESC) |
	              BIT(VIRTIO_F_EVENT_IDX) | BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_RO) |
	              BIT(20);
	uint64_t wanted = BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_BLK_F_FLUSH) | BIT(7);
	uint64_t expect =
	    BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_BLK_F_FLUSH);

	cr_assert_eq(vdev_init(&dev, wanted, 0), 0, "%s", host_log());
	cr_assert_eq(dev.offered, fv->offered, "offered 0x%lx, driver read 0x%lx",
	             (unsigned long)fv->offered, (unsigned long)dev.offered);
	cr_assert_eq(fv->driver_features, expect, "device got 0x%lx, expected 0x%lx",
	             (unsigned long)fv->driver_features, (unsigned long)expect);
	cr_assert_eq(dev.features, expect);
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_both_driver_feature_words_are_written)
{
	plug(2, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, BIT(VIRTIO_F_EVENT_IDX), 0), 0, "%s", host_log());
	cr_assert_eq(fv->drv_feat_written, 3, "words written: mask 0x%x", fv->drv_feat_written);
	cr_assert_eq(fv->driver_features >> 32, 1, "VERSION_1 lives in the high word");
	cr_assert_eq((uint32_t)fv->driver_features, BIT(VIRTIO_F_EVENT_IDX));
}

Test(virtio_init, lab2_modern_device_holds_features_ok_and_the_driver_reads_it_back)
{
	plug(2, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert(fv->status & VIRTIO_STATUS_FEATURES_OK);
	cr_assert(fv->features_accepted);
	cr_assert_geq(fv->status_reads_after_fok, 1, "FEATURES_OK was never read back");
	cr_assert(host_log_has("FEATURES_OK held"), "%s", host_log());
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_legacy_device_never_sees_features_ok)
{
	plug(1, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, BIT(VIRTIO_F_INDIRECT_DESC), 0), 0, "%s", host_log());
	cr_assert_not(fv->features_ok_written);
	cr_assert_not(fv->status & VIRTIO_STATUS_FEATURES_OK);
	cr_assert(host_log_has("legacy device: no FEATURES_OK step"), "%s", host_log());
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab3_legacy_device_gets_the_guest_page_size_before_its_first_queue)
{
	static struct virtq vq;

	plug(1, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert_eq(vdev_queue_setup(&dev, &vq, 0, 16), 0, "%s", host_log());
	cr_assert_eq(fv->guest_page_size, 4096);
	assert_driver_followed_the_spec();
	vdev_reset(&dev);
	vdev_queue_release(&dev, &vq);
}

Test(virtio_init, lab2_legacy_negotiation_has_no_version_1_and_no_high_word)
{
	plug(1, VIRTIO_ID_BLOCK);
	fv->offered = BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_F_VERSION_1); // only 32 bits show
	cr_assert_eq(vdev_init(&dev, ~0ULL, 0), 0, "%s", host_log());
	cr_assert_eq(dev.offered, BIT(VIRTIO_F_INDIRECT_DESC));
	cr_assert_eq(fv->driver_features, BIT(VIRTIO_F_INDIRECT_DESC));
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_refused_features_ok_fails_the_device_and_names_the_features)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->refuse_features_ok = true;
	int err = vdev_init(&dev, BIT(VIRTIO_F_INDIRECT_DESC), 0);
	cr_assert_eq(err, -ENOTSUP, "got %d", err);
	cr_assert(fv->status & VIRTIO_STATUS_FAILED, "status 0x%x", fv->status);
	cr_assert_not(fv->status & VIRTIO_STATUS_DRIVER_OK);
	cr_assert(host_log_has("device refused the features we accepted"), "%s", host_log());
	cr_assert(log_line_has("virtio: features refused", "VERSION_1"), "%s", host_log());
	cr_assert(log_line_has("virtio: features refused", "RING_INDIRECT_DESC"), "%s", host_log());
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_device_that_drops_a_feature_at_features_ok_is_failed)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->refuse_if_accepted = BIT(VIRTIO_F_EVENT_IDX); // it cannot do EVENT_IDX after all
	int err = vdev_init(&dev, BIT(VIRTIO_F_EVENT_IDX) | BIT(VIRTIO_F_INDIRECT_DESC), 0);
	cr_assert_eq(err, -ENOTSUP, "got %d", err);
	cr_assert(fv->status & VIRTIO_STATUS_FAILED);
	cr_assert(log_line_has("virtio: features refused", "RING_EVENT_IDX"), "%s", host_log());
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_modern_device_without_version_1_is_refused)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->offered = BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_BLK_F_FLUSH);
	int err = vdev_init(&dev, BIT(VIRTIO_F_INDIRECT_DESC), 0);
	cr_assert_eq(err, -ENOTSUP, "got %d", err);
	cr_assert(fv->status & VIRTIO_STATUS_FAILED);
	cr_assert_not(fv->features_ok_written, "FEATURES_OK must not be tried without VERSION_1");
	cr_assert(log_line_has("virtio: features missing", "VERSION_1"), "%s", host_log());
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_required_feature_not_offered_fails_the_device)
{
	plug(2, VIRTIO_ID_BLOCK);
	int err = vdev_init(&dev, ~0ULL, BIT(VIRTIO_BLK_F_FLUSH));
	cr_assert_eq(err, -ENOTSUP, "got %d", err);
	cr_assert(fv->status & VIRTIO_STATUS_FAILED);
	cr_assert(log_line_has("virtio: features missing", "FLUSH"), "%s", host_log());
}

// ACCESS_PLATFORM means "addresses go through the platform's IOMMU"; ours
// is the identity, so accepting it is right (issue: iommu_platform=on
// devices refused to work). ANY_LAYOUT (legacy, 6.3) costs nothing.
Test(virtio_init, lab2_access_platform_and_any_layout_are_accepted_when_offered)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->offered |= BIT(VIRTIO_F_ACCESS_PLATFORM) | BIT(VIRTIO_F_ANY_LAYOUT);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert(fv->driver_features & BIT(VIRTIO_F_ACCESS_PLATFORM));
	cr_assert(fv->driver_features & BIT(VIRTIO_F_ANY_LAYOUT));
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_legacy_device_gets_any_layout_when_offered)
{
	plug(1, VIRTIO_ID_BLOCK);
	fv->offered |= BIT(VIRTIO_F_ANY_LAYOUT);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert(fv->driver_features & BIT(VIRTIO_F_ANY_LAYOUT));
}

Test(virtio_init, lab2_in_order_and_notification_data_are_never_accepted)
{
	plug(2, VIRTIO_ID_BLOCK);
	uint64_t never =
	    BIT(VIRTIO_F_IN_ORDER) | BIT(VIRTIO_F_NOTIFICATION_DATA) | BIT(VIRTIO_F_RING_RESET);
	fv->offered |= never;
	cr_assert_eq(vdev_init(&dev, ~0ULL, 0), 0, "%s", host_log());
	cr_assert_eq(fv->driver_features & never, 0, "accepted 0x%lx",
	             (unsigned long)(fv->driver_features & never));
	cr_assert(fv->driver_features & BIT(VIRTIO_F_VERSION_1));
	assert_driver_followed_the_spec();
}

// The packed ring is the virtqueue's choice, not the device driver's: a
// driver that does not list it still gets it, unless packed=off. Lab 11's:
// until then virtq_ring_features() asks for nothing, and devices that
// offer the packed ring get the split one.
Test(virtio_init, lab11_packed_ring_is_accepted_unless_packed_off)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->offered |= BIT(VIRTIO_F_RING_PACKED);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert(fv->driver_features & BIT(VIRTIO_F_RING_PACKED));
	assert_driver_followed_the_spec();

	strcpy(boot_info.bootargs, "packed=off");
	cr_assert_eq(vdev_init(&dev, ~0ULL, 0), 0, "%s", host_log());
	boot_info.bootargs[0] = '\0';
	cr_assert_eq(fv->driver_features & BIT(VIRTIO_F_RING_PACKED), 0);
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_needs_reset_during_init_is_an_error)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->needs_reset_on_status = VIRTIO_STATUS_FEATURES_OK;
	int err = vdev_init(&dev, 0, 0);
	cr_assert_eq(err, -EIO, "got %d", err);
	cr_assert(host_log_has("DEVICE_NEEDS_RESET"), "%s", host_log());
}

Test(virtio_init, lab2_needs_reset_set_later_is_detected)
{
	plug(1, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert_eq(vdev_check_needs_reset(&dev), 0);
	fake_virtio_set_needs_reset(fv);
	cr_assert_eq(vdev_check_needs_reset(&dev), -EIO);
	cr_assert(host_log_has("device set DEVICE_NEEDS_RESET"), "%s", host_log());
}

Test(virtio_init, lab2_driver_ok_keeps_the_bits_set_before)
{
	plug(2, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	vdev_driver_ok(&dev);
	cr_assert_eq(fv->status,
	             VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	                 VIRTIO_STATUS_DRIVER_OK,
	             "status 0x%x", fv->status);
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_slow_reset_is_waited_for)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->status = VIRTIO_STATUS_ACKNOWLEDGE;
	fv->reset_reads = 50; // Status reads nonzero 50 more times
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert_not(fv->reset_pending);
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_reset_that_never_finishes_times_out)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	fv->reset_stuck = true;
	int err = vdev_init(&dev, 0, 0);
	cr_assert_eq(err, -ETIMEDOUT, "got %d", err);
	cr_assert(host_log_has("reset did not finish in 100 ms"), "%s", host_log());
	// the device is given up: FAILED is the only other write, and it is
	// dead, so nothing is ever freed that it might still write
	cr_assert_eq(fv->nstatus_log, 2);
	cr_assert_eq(fv->status_log[1] & VIRTIO_STATUS_FAILED, VIRTIO_STATUS_FAILED);
	cr_assert(dev.dead);
	cr_assert_eq(vdev_init(&dev, 0, 0), -ETIMEDOUT, "a dead device stays dead");
	cr_assert_eq(fv->nstatus_log, 2, "and is not touched again");
}

Test(virtio_init, lab2_config_read_retries_while_the_generation_changes)
{
	uint64_t cap = 0;

	plug(2, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	fake_virtio_config_set(fv, 0, 0x1122334455667788ULL, 8);
	fv->config_changes = 5;
	fv->gen_reads = 0;
	cr_assert_eq(vdev_config_read(&dev, 0, &cap, 8), 0, "%s", host_log());
	cr_assert_eq(cap, 0x1122334455667788ULL);
	// five torn reads and a good one, each between two generation reads
	cr_assert_eq(fv->gen_reads, 12, "ConfigGeneration read %u times", fv->gen_reads);
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_config_read_gives_up_after_a_bounded_number_of_changes)
{
	uint64_t cap;

	plug(2, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	fv->config_changes = 100000;
	fv->gen_reads = 0;
	cr_assert_eq(vdev_config_read(&dev, 0, &cap, 8), -EPROTO);
	cr_assert(host_log_has("configuration kept changing"), "%s", host_log());
	cr_assert_leq(fv->gen_reads, 2 * 64, "ConfigGeneration read %u times", fv->gen_reads);
	cr_assert_geq(fv->gen_reads, 2 * 2, "it did not retry at all");
}

Test(virtio_init, lab2_legacy_config_read_has_no_generation_register)
{
	uint32_t v = 0;

	plug(1, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	fake_virtio_config_set(fv, 20, 4096, 4);
	cr_assert_eq(vdev_config_read(&dev, 20, &v, 4), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(fv->gen_reads, 0);
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_config_read_of_odd_offsets_and_lengths_is_byte_exact)
{
	uint8_t out[7];

	plug(2, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	for (int i = 0; i < 16; i++)
		fv->config[i] = (uint8_t)(0x10 + i);
	cr_assert_eq(vdev_config_read(&dev, 3, out, sizeof(out)), 0);
	for (int i = 0; i < 7; i++)
		cr_assert_eq(out[i], 0x13 + i, "byte %d: 0x%x", i, out[i]);
	assert_driver_followed_the_spec();
}

Test(virtio_init, lab2_features_are_printed_by_name)
{
	plug(2, VIRTIO_ID_BLOCK);
	fv->offered |= BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_BLK_SIZE);
	cr_assert_eq(vdev_init(&dev, BIT(VIRTIO_BLK_F_FLUSH), 0), 0);
	cr_assert(log_line_has("virtio: features offered", "BLK_SIZE"), "%s", host_log());
	cr_assert(log_line_has("virtio: features accepted", "FLUSH"), "%s", host_log());
	cr_assert_not(log_line_has("virtio: features accepted", "BLK_SIZE"), "%s", host_log());
}

// --- configuration accesses (spec 4.2.2.2, 2.5.1) -------------------------------------

// Each field is read with an access of its own width: the 64-bit capacity
// as two 32-bit halves, a 16-bit field in one 16-bit read, a 6-byte MAC
// byte by byte.
Test(virtio_init, lab2_config_fields_are_read_at_their_own_width)
{
	uint64_t cap;
	uint16_t half;
	uint8_t mac[6];

	plug(2, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	cr_assert_eq(vdev_config_read(&dev, 0, &cap, 8), 0);
	cr_assert_eq(fv->config_reads[4], 2);
	cr_assert_eq(vdev_config_read(&dev, 16, &half, 2), 0);
	cr_assert_eq(fv->config_reads[2], 1);
	cr_assert_eq(vdev_config_read(&dev, 0, mac, 6), 0);
	cr_assert_eq(fv->config_reads[1], 6);
	cr_assert_eq(fv->config_reads[4], 2, "no wider access for the MAC");
	assert_driver_followed_the_spec();
}

// A legacy device has no generation counter: a field caught while it
// changes is only noticed by reading it twice.
Test(virtio_init, lab2_legacy_config_is_read_until_two_reads_agree)
{
	uint64_t cap;

	plug(1, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	fv->config_torn_reads = 1;
	cr_assert_eq(vdev_config_read(&dev, 0, &cap, 8), 0);
	cr_assert_eq(cap, fv->disk_bytes / 512, "read 0x%lx", (unsigned long)cap);
	cr_assert_eq(fv->config_torn_reads, 0);
}

Test(virtio_init, lab2_legacy_config_that_never_settles_is_eproto)
{
	uint32_t v;

	plug(1, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	fv->config_torn_reads = 1000;
	cr_assert_eq(vdev_config_read(&dev, 0, &v, 4), -EPROTO);
	cr_assert(host_log_has("configuration kept changing"), "%s", host_log());
}

// InterruptStatus may hold bits the spec does not define; only the
// defined ones are acknowledged (and returned).
Test(virtio_init, lab7_interrupt_ack_writes_only_the_defined_bits)
{
	plug(2, VIRTIO_ID_BLOCK);
	cr_assert_eq(vdev_init(&dev, 0, 0), 0, "%s", host_log());
	fv->int_status = VIRTIO_ISR_VQ | 0x80;
	cr_assert_eq(vdev_ack_interrupt(&dev), VIRTIO_ISR_VQ);
	cr_assert_eq(fv->last_int_ack, VIRTIO_ISR_VQ);
	assert_driver_followed_the_spec();
}
