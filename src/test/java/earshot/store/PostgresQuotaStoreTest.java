package earshot.store;

import earshot.testsupport.Databases;

class PostgresQuotaStoreTest extends QuotaStoreContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.POSTGRES;
  }
}
