package earshot.store;

import earshot.jobs.AcquireSpec;
import earshot.tiers.Tier;
import earshot.tiers.Tiers;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The acquire candidate query of one dialect, filled in for a set of tiers and an ordering, and built once for each.
 * The dialect's template has three holes: {@code %1$s} the owner's limit (a {@code CASE} over the tiers'
 * concurrent_jobs), {@code %2$s} the ORDER BY, {@code %3$s} the rotation start it selects as {@code start_pass}.
 * Both dialects order the same way; only the template and the start-of-rotation expression differ.
 *
 * <p>Thread-safe; one instance per store.
 */
public final class CandidateQueries {
  private static final String PRIORITY_ORDER = "r.priority DESC, r.created_at, r.id";
  /**
   * Owner-strict: weighted fair rotation. Each owner's k-th job in this round finishes at start + k/weight (an owner
   * lags at most one turn behind the most served one), so a tier of weight 3 gets three turns for one.
   */
  private static final String OWNER_STRICT_ORDER =
      "%s + r.rn * 1.0 / %s, t.last_turn NULLS FIRST, r.priority DESC, r.created_at, r.id";

  private final String template;
  private final String startPass;
  private final Map<Tiers, String> plain = new ConcurrentHashMap<>();
  private final Map<Tiers, String> strict = new ConcurrentHashMap<>();

  /**
   * @param template the dialect's candidate query with the three holes
   * @param startPass the dialect's expression of where an owner's rotation starts (table {@code owner_turns t})
   */
  public CandidateQueries(String template, String startPass) {
    this.template = template;
    this.startPass = startPass;
  }

  /** The query for this acquisition (tier names are safe literals, see {@link Tier#NAME_PATTERN}). */
  public String of(AcquireSpec spec) {
    Tiers tiers = spec.tiers();
    String limit = tiers.sqlCase("r.tier", Tier::concurrentJobs);
    return spec.ownerStrict()
        ? strict.computeIfAbsent(tiers, t -> template.formatted(limit,
            OWNER_STRICT_ORDER.formatted(startPass, t.sqlCase("r.tier", Tier::weight)), startPass))
        : plain.computeIfAbsent(tiers, t -> template.formatted(limit, PRIORITY_ORDER, "0"));
  }
}
