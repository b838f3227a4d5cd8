package earshot.jobs;

import java.time.Duration;

/**
 * One acquisition: lease up to {@code max} available jobs of {@code queue} to {@code worker} for {@code lease},
 * skipping owners who already run {@code ownerLimit} jobs. {@code ownerStrict} rotates between owners instead of
 * taking strict priority-then-age order.
 */
public record AcquireSpec(String queue, String worker, int max, Duration lease, int ownerLimit, boolean ownerStrict) {}
