package earshot.bus;

import earshot.tiers.Tier;
import io.vertx.core.json.JsonObject;

/**
 * {@code {user_id, tier, assigned, limits}}: the answer to {@link Addresses#QUOTA_TIER_GET} and
 * {@link Addresses#QUOTA_TIER_SET}. {@code limits} is the tier's JSON without its name; {@code assigned} is false
 * when the user has no stored tier (or a stored one that is no longer configured) and gets the default.
 */
public record OwnerTier(String userId, Tier tier, boolean assigned) {
  public JsonObject toJson() {
    JsonObject limits = tier.toJson();
    limits.remove("name");
    return new JsonObject().put("user_id", userId).put("tier", tier.name()).put("assigned", assigned)
        .put("limits", limits);
  }

  public static OwnerTier fromJson(JsonObject j) {
    Tier tier = Tier.fromJson(j.getJsonObject("limits").copy().put("name", j.getString("tier")));
    return new OwnerTier(j.getString("user_id"), tier, j.getBoolean("assigned", false));
  }
}
