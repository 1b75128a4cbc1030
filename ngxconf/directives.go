package ngxconf

import (
	"fmt"
)

// Class says what luaws does with an nginx directive.
type Class int

const (
	// Unknown: not an nginx (or lua-nginx-module) directive; nginx stops with
	// "unknown directive".
	Unknown Class = iota
	// Implemented: luaws does what nginx does with it.
	Implemented
	// Tuning: it changes how nginx does its work (buffers, sendfile, timeouts of features
	// luaws does not have), not what a client gets; luaws accepts it and -t lists it once.
	Tuning
	// Refused: nginx has it but luaws does not implement it, and it changes who gets what
	// (access control, authentication, limits, routing, caching, TLS client verification):
	// ignoring it would serve what the configuration forbids, so the start stops.
	Refused
)

// Classify returns what luaws does with the directive name.
func Classify(name string) Class {
	if c, ok := directiveClass[name]; ok {
		return c
	}
	return Unknown
}

// The tables, by module. A name may appear in one table only (TestDirectiveTables).
var (
	implementedDirectives = []string{
		// core, events, main
		"daemon", "master_process", "worker_processes", "error_log", "pid", "events", "http",
		"include", "env", "user", "worker_shutdown_timeout",
		// ngx_http_core_module
		"server", "location", "listen", "server_name", "root", "alias", "index", "default_type",
		"types", "client_max_body_size", "keepalive_timeout", "error_page", "internal", "try_files",
		"server_tokens",
		// headers-more (bundled with OpenResty)
		"more_set_headers", "more_clear_headers", "more_set_input_headers", "more_clear_input_headers",
		// ngx_http_rewrite_module, ngx_http_map_module (server/rewrite.go, server/map.go)
		"set", "return", "rewrite", "if", "break", "rewrite_log", "map",
		// ngx_http_headers_module, ngx_http_referer_module
		"add_header", "valid_referers",
		// ngx_http_ssl_module
		"ssl_certificate", "ssl_certificate_key", "ssl_client_certificate", "ssl_trusted_certificate",
		"ssl_verify_client",
		// access, auth_basic, limit_conn, limit_req, log, stub_status
		"allow", "deny", "satisfy", "auth_basic", "auth_basic_user_file", "auth_request", "auth_request_set",
		// ngx_http_gzip_filter_module (static files)
		"gzip", "gzip_comp_level", "gzip_http_version", "gzip_min_length", "gzip_proxied",
		"gzip_types", "gzip_vary",
		// ngx_http_dav_module
		"dav_methods", "dav_access", "create_full_put_path", "min_delete_depth",
		"limit_conn_zone", "limit_conn", "limit_conn_status", "limit_conn_log_level", "limit_conn_dry_run",
		"limit_req_zone", "limit_req", "limit_req_status", "limit_req_log_level", "limit_req_dry_run",
		"access_log", "log_format", "stub_status", "luaws_metrics",
		// proxy and upstream
		"proxy_pass", "proxy_http_version", "proxy_set_header", "proxy_read_timeout",
		"proxy_connect_timeout", "proxy_send_timeout", "proxy_pass_request_headers",
		"proxy_pass_request_body", "upstream", "keepalive",
		// resolver
		"resolver", "resolver_timeout",
		// lua-nginx-module
		"lua_package_path", "lua_package_cpath", "lua_shared_dict", "lua_code_cache", "lua_check_client_abort",
		"lua_socket_log_errors", "lua_ssl_trusted_certificate", "lua_ssl_verify_depth",
		"lua_socket_pool_size", "lua_socket_keepalive_timeout", "lua_socket_connect_timeout",
		"lua_socket_send_timeout", "lua_socket_read_timeout", "lua_max_running_time",
		"lua_max_pending_timers", "lua_max_running_timers", "lua_need_request_body",
		"init_by_lua", "init_by_lua_block", "init_by_lua_file",
		"init_worker_by_lua", "init_worker_by_lua_block", "init_worker_by_lua_file",
		"set_by_lua", "set_by_lua_block", "set_by_lua_file",
		"rewrite_by_lua", "rewrite_by_lua_block", "rewrite_by_lua_file",
		"access_by_lua", "access_by_lua_block", "access_by_lua_file",
		"content_by_lua", "content_by_lua_block", "content_by_lua_file",
		"log_by_lua", "log_by_lua_block", "log_by_lua_file",
		"header_filter_by_lua", "header_filter_by_lua_block", "header_filter_by_lua_file",
		"body_filter_by_lua", "body_filter_by_lua_block", "body_filter_by_lua_file",
		"ssl_certificate_by_lua_block", "ssl_certificate_by_lua_file",
		"balancer_by_lua_block", "balancer_by_lua_file", "proxy_next_upstream_tries", "proxy_bind",
		// echo-nginx-module (server/echo.go)
		"echo", "echo_duplicate", "echo_flush", "echo_sleep", "echo_blocking_sleep",
		"echo_location", "echo_location_async", "echo_subrequest", "echo_subrequest_async",
		"echo_exec", "echo_request_body", "echo_read_request_body", "echo_reset_timer",
		"echo_status", "echo_before_body", "echo_after_body",
	}

	tuningDirectives = []string{
		// main and events
		"worker_rlimit_nofile", "worker_rlimit_core", "worker_cpu_affinity", "worker_priority",
		"working_directory", "pcre_jit", "timer_resolution", "lock_file", "thread_pool",
		"load_module", "ssl_engine", "google_perftools_profiles", "debug_points",
		"worker_connections", "use", "multi_accept", "accept_mutex", "accept_mutex_delay",
		"debug_connection", "worker_aio_requests",
		// ngx_http_core_module
		"sendfile", "sendfile_max_chunk", "tcp_nopush", "tcp_nodelay", "aio", "aio_write",
		"directio", "directio_alignment", "output_buffers", "postpone_output", "read_ahead",
		"send_lowat", "send_timeout", "client_header_timeout", "client_body_timeout",
		"client_header_buffer_size", "large_client_header_buffers", "client_body_buffer_size",
		"client_body_temp_path", "client_body_in_file_only", "client_body_in_single_buffer",
		"connection_pool_size", "request_pool_size", "lingering_close", "lingering_time",
		"lingering_timeout", "reset_timedout_connection", "keepalive_requests", "keepalive_time",
		"keepalive_disable", "server_name_in_redirect", "port_in_redirect",
		"absolute_redirect", "msie_padding", "msie_refresh", "open_file_cache",
		"open_file_cache_errors", "open_file_cache_min_uses", "open_file_cache_valid",
		"open_log_file_cache", "types_hash_max_size", "types_hash_bucket_size",
		"server_names_hash_max_size", "server_names_hash_bucket_size",
		"variables_hash_max_size", "variables_hash_bucket_size", "map_hash_max_size",
		"map_hash_bucket_size", "proxy_headers_hash_max_size", "proxy_headers_hash_bucket_size",
		"log_not_found", "log_subrequest", "recursive_error_pages", "chunked_transfer_encoding",
		"etag", "if_modified_since", "ignore_invalid_headers", "underscores_in_headers",
		"merge_slashes", "disable_symlinks", "max_ranges", "subrequest_output_buffer_size",
		"limit_rate", "limit_rate_after", "charset", "source_charset", "charset_types",
		"override_charset", "charset_map", "uninitialized_variable_warn",
		"expires", "gzip_buffers", "gzip_disable", "gzip_static", "gunzip",
		"gunzip_buffers", "http2", "http2_body_preread_size", "http2_chunk_size",
		"http2_idle_timeout", "http2_max_concurrent_pushes", "http2_max_concurrent_streams",
		"http2_max_field_size", "http2_max_header_size", "http2_max_requests", "http2_push",
		"http2_push_preload", "http2_recv_buffer_size", "http2_recv_timeout", "ssi_types",
		// ssl tuning
		"ssl_protocols", "ssl_ciphers", "ssl_prefer_server_ciphers", "ssl_session_cache",
		"ssl_session_timeout", "ssl_session_tickets", "ssl_session_ticket_key", "ssl_dhparam",
		"ssl_ecdh_curve", "ssl_buffer_size", "ssl_early_data", "ssl_stapling", "ssl_stapling_file",
		"ssl_stapling_responder", "ssl_stapling_verify", "ssl_verify_depth", "ssl_conf_command",
		"ssl_password_file", "ssl_reject_handshake",
		// proxy tuning
		"proxy_buffering", "proxy_buffer_size", "proxy_buffers", "proxy_busy_buffers_size",
		"proxy_request_buffering", "proxy_max_temp_file_size", "proxy_temp_file_write_size",
		"proxy_temp_path", "proxy_socket_keepalive", "proxy_send_lowat",
		"fastcgi_temp_path", "scgi_temp_path", "uwsgi_temp_path",
		"proxy_ignore_client_abort", "proxy_limit_rate",
		"proxy_next_upstream", "proxy_next_upstream_timeout",
		"proxy_force_ranges", "proxy_ssl_session_reuse", "proxy_ssl_protocols",
		"proxy_ssl_ciphers", "proxy_ssl_conf_command",
		// upstream tuning

		// referer hash sizes
		"referer_hash_bucket_size", "referer_hash_max_size",
		// lua-nginx-module tuning
		"lua_regex_cache_max_entries", "lua_regex_match_limit",
		"lua_socket_buffer_size", "lua_http10_buffering", "lua_transform_underscores_in_response_headers",
		"lua_thread_cache_max_entries", "lua_worker_thread_vm_pool_size", "lua_sa_restart",
		"lua_malloc_trim", "lua_load_resty_core", "zone", "lua_capture_error_log",
		"lua_use_default_type", "lua_ssl_protocols", "lua_ssl_ciphers",
		"lua_ssl_crl", "lua_ssl_conf_command", "lua_ssl_certificate", "lua_ssl_certificate_key",
		"lua_fake_shm",
	}

	refusedDirectives = []string{
		// routing and rewriting
		"geo", "split_clients", "limit_except",
		"sub_filter", "sub_filter_once", "sub_filter_types",
		"sub_filter_last_modified", "addition_types", "add_before_body", "add_after_body",
		"add_trailer", "auth_delay", "secure_link",
		"secure_link_md5", "secure_link_secret", "realip_header", "set_real_ip_from", "real_ip_header",
		"real_ip_recursive", "autoindex", "autoindex_exact_size", "autoindex_format",
		"autoindex_localtime", "random_index", "mirror", "mirror_request_body", "empty_gif", "flv", "mp4",
		"mp4_buffer_size", "mp4_max_buffer_size", "slice", "ssi", "ssi_last_modified",
		"ssi_min_file_chunk", "ssi_silent_errors", "ssi_value_length", "userid", "userid_domain",
		"userid_expires", "userid_mark", "userid_name", "userid_p3p", "userid_path",
		"userid_flags", "userid_service", "image_filter", "xslt_stylesheet", "perl", "perl_set",
		"perl_modules", "perl_require", "geoip_country", "geoip_city", "geoip_org",
		"geoip_proxy", "geoip_proxy_recursive", "ancient_browser", "ancient_browser_value",
		"modern_browser", "modern_browser_value", "browser",
		"stream", "mail", "hash", "ip_hash", "least_conn", "random",
		"ssl", "ssl_crl", "ssl_ocsp", "ssl_ocsp_cache", "ssl_ocsp_responder",
		// proxy features that change responses or routing
		"proxy_redirect", "proxy_cookie_domain", "proxy_cookie_path", "proxy_cookie_flags",
		"proxy_hide_header", "proxy_pass_header", "proxy_ignore_headers", "proxy_intercept_errors",
		"proxy_method", "proxy_set_body", "proxy_store", "proxy_store_access", "proxy_cache",
		"proxy_cache_path", "proxy_cache_key", "proxy_cache_valid", "proxy_cache_bypass",
		"proxy_no_cache", "proxy_cache_methods", "proxy_cache_min_uses", "proxy_cache_use_stale",
		"proxy_cache_lock", "proxy_cache_lock_age", "proxy_cache_lock_timeout",
		"proxy_cache_revalidate", "proxy_cache_background_update", "proxy_cache_convert_head",
		"proxy_cache_max_range_offset", "proxy_ssl_certificate", "proxy_ssl_certificate_key",
		"proxy_ssl_trusted_certificate", "proxy_ssl_verify", "proxy_ssl_verify_depth",
		"proxy_ssl_name", "proxy_ssl_server_name", "proxy_ssl_crl", "proxy_ssl_password_file",
		// other upstream protocols
		"fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass", "memcached_pass",
		"fastcgi_param", "uwsgi_param", "scgi_param", "grpc_set_header", "fastcgi_index",
		"fastcgi_split_path_info", "fastcgi_cache", "fastcgi_cache_path",
		"memcached_connect_timeout", "memcached_read_timeout", "memcached_send_timeout",
		// lua-nginx-module phases and hooks luaws does not run
		"ssl_session_fetch_by_lua_block",
		"ssl_session_fetch_by_lua_file", "ssl_session_store_by_lua_block",
		"ssl_session_store_by_lua_file", "ssl_client_hello_by_lua_block",
		"ssl_client_hello_by_lua_file", "server_rewrite_by_lua_block", "server_rewrite_by_lua_file",
		"exit_worker_by_lua_block", "exit_worker_by_lua_file", "rewrite_by_lua_no_postpone",
		"access_by_lua_no_postpone",
	}
)

// directiveClass is built from the tables.
var directiveClass = func() map[string]Class {
	m := map[string]Class{}
	for c, names := range map[Class][]string{Implemented: implementedDirectives,
		Tuning: tuningDirectives, Refused: refusedDirectives} {
		for _, n := range names {
			m[n] = c
		}
	}
	return m
}()

// opaqueBlocks are blocks whose contents are not directives (mime types, map entries, ...).
var opaqueBlocks = map[string]bool{"types": true, "map": true, "geo": true,
	"split_clients": true, "charset_map": true, "match": true}

// Check walks the configuration as nginx's parser does: an unknown directive fails with
// nginx's "unknown directive" error, a refused one (see Refused) fails too; a Refused
// directive set to "off" alone does nothing and passes. tuning is called for each Tuning
// directive found (the caller lists each name once).
func Check(ds []*Directive, tuning func(d *Directive)) error {
	for _, d := range ds {
		switch Classify(d.Name) {
		case Unknown:
			return &Error{Msg: fmt.Sprintf("unknown directive \"%s\"", d.Name), File: d.File, Line: d.Line}
		case Refused:
			if len(d.Args) == 1 && d.Args[0] == "off" && d.Block == nil {
				continue
			}
			return &Error{Msg: fmt.Sprintf("\"%s\" directive is not supported by luaws "+
				"(it decides who gets what, so luaws will not run without it)", d.Name),
				File: d.File, Line: d.Line}
		case Tuning:
			if tuning != nil {
				tuning(d)
			}
		}
		if d.Block != nil && !d.Lua && !opaqueBlocks[d.Name] {
			if err := Check(d.Block, tuning); err != nil {
				return err
			}
		}
	}
	return nil
}
