/**
 * What a parallel upload reports while it runs (`PutOptions.onEvent`).
 */

/** Events of an upload. Shard numbers are shard indexes within the dataset version. */
export type PutEvent =
  /** `begin_upload` answered. */
  | {
      readonly kind: "begin";
      readonly uploadId: string;
      readonly version: number;
      readonly replicas: number;
      readonly shardTargetBytes: number;
    }
  /** A shard's replica streams were opened. */
  | { readonly kind: "shard-open"; readonly shard: number; readonly locations: readonly string[] }
  /** Bytes and rows handed to the transport so far (all shards, one copy). */
  | { readonly kind: "progress"; readonly rows: number; readonly bytes: number }
  /** Every replica of a shard stored it and they agree. */
  | {
      readonly kind: "shard-stored";
      readonly shard: number;
      readonly rows: number;
      readonly bytes: number;
      readonly digest: string;
    }
  /** The dataset version is committed and visible. */
  | { readonly kind: "committed"; readonly version: number; readonly shards: number; readonly rows: number };
