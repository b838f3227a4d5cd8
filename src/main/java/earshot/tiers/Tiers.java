package earshot.tiers;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * The configured tiers and the default one that an owner without a stored tier gets. Immutable; the stores turn it
 * into SQL {@code CASE} expressions so the acquire transaction applies each owner's own limit.
 */
public record Tiers(String defaultTier, Map<String, Tier> byName) {

  public Tiers {
    byName = Map.copyOf(new LinkedHashMap<>(byName));
    if (!byName.containsKey(defaultTier)) {
      throw new IllegalArgumentException("default tier '" + defaultTier + "' is not one of " + byName.keySet());
    }
  }

  /** One tier for everybody, allowing {@code concurrentJobs} processing jobs per owner and nothing else limited. */
  public static Tiers uniform(int concurrentJobs) {
    return new Tiers("default", Map.of("default", Tier.unlimited("default", concurrentJobs)));
  }

  /** The named tier, or the default one for an owner without a (known) stored tier. */
  public Tier resolve(String storedTier) {
    Tier t = storedTier == null ? null : byName.get(storedTier);
    return t != null ? t : byName.get(defaultTier);
  }

  public Optional<Tier> named(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** {@code CASE COALESCE(column, 'default') WHEN 'a' THEN n ... ELSE default END}, for the limit a tier sets. */
  public String sqlCase(String column, ToIntFunction<Tier> value) {
    StringBuilder sql = new StringBuilder("(CASE COALESCE(").append(column).append(", '").append(defaultTier)
        .append("')");
    byName.values().forEach(t -> sql.append(" WHEN '").append(t.name()).append("' THEN ")
        .append(value.applyAsInt(t)));
    return sql.append(" ELSE ").append(value.applyAsInt(byName.get(defaultTier))).append(" END)").toString();
  }
}
