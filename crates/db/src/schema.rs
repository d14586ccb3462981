//! Diesel table definitions, shared by both backends (written by hand to match `migrations/*/`).
#![allow(missing_docs)]

diesel::table! {
    organisations (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
        approval_mode -> Text,
        approval_threshold -> Nullable<BigInt>,
        period_guard -> Bool,
        verification_mode -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        username -> Text,
        email -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        account_id -> Text,
        party_id_type -> Text,
        party_identifier -> Text,
        currency -> Text,
        balance -> BigInt,
        reserved -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    bulk_transfers (id) {
        id -> BigInt,
        bulk_id -> Text,
        organisation_id -> BigInt,
        account_pk -> BigInt,
        currency -> Text,
        total_amount -> BigInt,
        total_count -> BigInt,
        succeeded_count -> BigInt,
        failed_count -> BigInt,
        succeeded_amount -> BigInt,
        failed_amount -> BigInt,
        state -> Text,
        file_sha256 -> Text,
        file_name -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        callback_url -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        period -> Nullable<Text>,
        execute_at -> Nullable<Timestamp>,
        approval_required -> Bool,
        approved_by -> Nullable<BigInt>,
        approved_at -> Nullable<Timestamp>,
        approved_sha256 -> Nullable<Text>,
        rejected_by -> Nullable<BigInt>,
        rejected_at -> Nullable<Timestamp>,
        rejection_reason -> Nullable<Text>,
        cancelled_by -> Nullable<BigInt>,
        cancelled_at -> Nullable<Timestamp>,
        parent_bulk_pk -> Nullable<BigInt>,
        verification_mode -> Text,
        verification_version -> Integer,
        verified_at -> Nullable<Timestamp>,
        approved_verification_version -> Nullable<Integer>,
        excluded_count -> BigInt,
        excluded_amount -> BigInt,
        msg_id -> Nullable<Text>,
        msg_name_id -> Nullable<Text>,
        payment_blocks -> Nullable<Text>,
        claimed_through -> BigInt,
    }
}

diesel::table! {
    individual_transfers (id) {
        id -> BigInt,
        bulk_pk -> BigInt,
        line -> BigInt,
        transfer_id -> Text,
        mojaloop_transfer_id -> Text,
        party_id_type -> Text,
        party_identifier -> Text,
        payee_name -> Nullable<Text>,
        amount -> BigInt,
        status -> Text,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        attempt_count -> Integer,
        lookup_count -> Integer,
        claimed_at -> Nullable<Timestamp>,
        next_lookup_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        resend_count -> Integer,
        retry_at -> Nullable<Timestamp>,
        first_attempt_at -> Nullable<Timestamp>,
        repeat_in_period -> Bool,
        party_result -> Nullable<Text>,
        party_fsp_id -> Nullable<Text>,
        party_name -> Nullable<Text>,
        party_first_name -> Nullable<Text>,
        party_middle_name -> Nullable<Text>,
        party_last_name -> Nullable<Text>,
        party_birth_date -> Nullable<Text>,
        name_match -> Nullable<Text>,
        party_attempts -> Integer,
        party_error -> Nullable<Text>,
        party_retry_at -> Nullable<Timestamp>,
        party_lease_until -> Nullable<Timestamp>,
        party_checked_at -> Nullable<Timestamp>,
        fee_above_limit -> Bool,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> BigInt,
        account_pk -> BigInt,
        bulk_pk -> Nullable<BigInt>,
        transfer_pk -> Nullable<BigInt>,
        kind -> Text,
        amount -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        username -> Text,
        failed_at -> Timestamp,
    }
}

diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(accounts -> organisations (organisation_id));
diesel::joinable!(bulk_transfers -> accounts (account_pk));
diesel::table! {
    period_claims (organisation_id, period, party_id_type, party_identifier) {
        organisation_id -> BigInt,
        period -> Text,
        party_id_type -> Text,
        party_identifier -> Text,
        bulk_pk -> BigInt,
        transfer_pk -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        organisation_id -> Nullable<BigInt>,
        actor_user_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        subject -> Text,
        details -> Text,
        occurred_at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        last_id -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    transfer_claims (id) {
        id -> BigInt,
        bulk_pk -> BigInt,
        first_id -> BigInt,
        last_id -> BigInt,
        claimed_at -> Timestamp,
    }
}

diesel::joinable!(individual_transfers -> bulk_transfers (bulk_pk));
diesel::joinable!(transfer_claims -> bulk_transfers (bulk_pk));
diesel::joinable!(period_claims -> bulk_transfers (bulk_pk));

diesel::table! {
    webhook_secrets (organisation_id) {
        organisation_id -> BigInt,
        secret -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        event_id -> Text,
        bulk_pk -> BigInt,
        organisation_id -> BigInt,
        event -> Text,
        url -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempt -> Integer,
        started_at -> Timestamp,
        duration_ms -> BigInt,
        status -> Nullable<Integer>,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(webhook_deliveries -> bulk_transfers (bulk_pk));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    users,
    accounts,
    bulk_transfers,
    individual_transfers,
    period_claims,
    transfer_claims,
    ledger_entries,
    revoked_tokens,
    login_failures,
    webhook_secrets,
    webhook_deliveries,
    webhook_attempts,
    audit_events,
    audit_head,
);
