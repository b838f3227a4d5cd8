package earshot.jobs;

import earshot.tiers.Tiers;
import java.time.Duration;

/**
 * One acquisition: lease up to {@code max} available jobs of {@code queue} to {@code worker} for {@code lease},
 * skipping owners who already run as many jobs as their tier's {@code concurrent_jobs}. {@code ownerStrict} rotates
 * between owners (more turns for tiers of greater weight) instead of taking strict priority-then-age order.
 */
public record AcquireSpec(String queue, String worker, int max, Duration lease, Tiers tiers, boolean ownerStrict) {}
