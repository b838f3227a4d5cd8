package earshot.api;

import io.vertx.ext.web.RoutingContext;

/** Who is calling: the owner id their jobs are filed under, and whether they may use admin endpoints. */
public record Principal(String ownerUserId, boolean admin) {
  private static final String KEY = "earshot.principal";

  public void attach(RoutingContext ctx) {
    ctx.put(KEY, this);
  }

  public static Principal of(RoutingContext ctx) {
    Principal p = ctx.get(KEY);
    if (p == null) {
      throw ApiError.unauthorized("authentication required");
    }
    return p;
  }

  /** True when this caller may see the job: its owner, or an admin. */
  public boolean maySee(String jobOwner) {
    return admin || ownerUserId.equals(jobOwner);
  }
}
